"""The tripartite duty list (三方权责清单): copied from the street office, versioned per compound."""

from __future__ import annotations

from communities import selectors, services
from communities.default_duties import default_duty_items
from communities.models import AuditEvent, DutyListVersion


def test_a_new_compound_gets_the_street_office_list_of_19(world):
    current = selectors.current_duty_list(world.a)
    assert current.version == 1
    assert [d.number for d in current.duties.all()] == list(range(1, 20))
    template = DutyListVersion.objects.get(street_office=world.office, version=1)
    assert current.based_on == template
    assert [d.title for d in current.duties.all()] == [d["title"] for d in default_duty_items()]
    assert all(d.compound_id == world.a.pk for d in current.duties.all())


def test_every_default_duty_has_a_party_and_the_three_parties_all_have_duties(world):
    groups = selectors.duties_by_party(selectors.current_duty_list(world.a))
    assert [party for party, _label, _duties in groups] == ["community", "committee", "company"]
    assert all(duties for _party, _label, duties in groups)


def test_revise_makes_a_new_version_and_keeps_the_old_one(world):
    items = default_duty_items()
    items[2]["title"] = "召开业委会扩大会议(每月)"
    items[2]["cadence"] = "monthly"
    v2 = services.duty_list_revise(compound=world.a, items=items, reason="联席会议决定", actor=world.official)

    assert v2.version == 2
    assert selectors.current_duty_list(world.a) == v2
    assert v2.duties.get(number=3).title == "召开业委会扩大会议(每月)"
    v1 = DutyListVersion.objects.get(compound=world.a, version=1)
    assert v1.duties.get(number=3).title == default_duty_items()[2]["title"]
    assert v1.duties.count() == 19
    assert [v.version for v in selectors.duty_list_versions(world.a)] == [2, 1]
    assert v2.based_on == v1
    assert v2.created_by == world.official


def test_revise_may_shorten_the_list_when_it_stays_numbered(world):
    items = default_duty_items()[:18]
    v2 = services.duty_list_revise(compound=world.a, items=items, reason="合并两项", actor=None)
    assert v2.duties.count() == 18
    assert DutyListVersion.objects.get(compound=world.a, version=1).duties.count() == 19


def test_revise_records_the_old_and_new_items(world):
    items = default_duty_items()
    items[0]["description"] = "新的说明"
    services.duty_list_revise(compound=world.a, items=items, reason="调整", actor=None)
    event = AuditEvent.objects.filter(action="duty_list.revise", compound=world.a).latest("id")
    assert event.before["items"][0]["description"] == default_duty_items()[0]["description"]
    assert event.after["items"][0]["description"] == "新的说明"


def test_revising_one_compound_leaves_the_others_alone(world):
    items = default_duty_items()[:18]
    services.duty_list_revise(compound=world.a, items=items, reason="调整", actor=None)
    assert selectors.current_duty_list(world.b).version == 1
    assert selectors.current_duty_list(world.b).duties.count() == 19


def test_a_new_template_version_reaches_new_compounds_only(world):
    items = default_duty_items()
    items[18]["title"] = "年度考核与续聘(修订)"
    template = services.duty_template_publish(
        street_office=world.office, items=items, reason="修订", actor=None
    )
    assert template.version == 2
    assert selectors.current_duty_list(world.a).duties.get(number=19).title != "年度考核与续聘(修订)"
    later = services.compound_create(
        community=world.community, name="龙泉花园", slug="longquan-z", actor=None
    )
    current = selectors.current_duty_list(later)
    assert current.based_on == template
    assert current.duties.get(number=19).title == "年度考核与续聘(修订)"
