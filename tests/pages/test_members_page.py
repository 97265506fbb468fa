"""The members' compound page: my roles, buildings, the duty list and its history,
and the members list for the roles that may see it."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from communities import services
from communities.default_duties import default_duty_items
from communities.models import Role
from tests.pages.helpers import client_for, page_urls


def _get(user, compound):
    response = client_for(user).get(page_urls(compound)["members"])
    assert response.status_code == 200
    return response


def _labels(response) -> list[str]:
    with translation.override("zh-hans"):
        return [str(label) for label in response.context["my_roles"]]


def test_it_shows_my_roles(world):
    with translation.override("zh-hans"):
        owner, chair = str(Role.OWNER.label), str(Role.COMMITTEE_CHAIR.label)
    response = _get(world.resident, world.a)
    assert _labels(response) == [owner]
    assert owner in response.content.decode()
    assert _labels(_get(world.chair, world.a)) == [chair]


def test_it_shows_several_roles_of_one_person(world):
    """Cross-appointment (交叉任职): the chair also owns a flat."""
    services.unit_owner_add(unit=world.unit_a, user=world.chair, actor=None)
    with translation.override("zh-hans"):
        expected = [str(Role.OWNER.label), str(Role.COMMITTEE_CHAIR.label)]
    assert _labels(_get(world.chair, world.a)) == expected


def test_it_shows_buildings_with_unit_counts(world):
    response = _get(world.resident, world.a)
    [building] = response.context["buildings"]
    assert building.name == "1栋"
    assert building.unit_count == 2


def test_it_shows_the_duty_list_and_its_history(world):
    services.duty_list_revise(
        compound=world.a, items=default_duty_items(), reason="第一次联席会议修订", actor=world.official
    )
    html = _get(world.resident, world.a).content.decode()
    assert "第一次联席会议修订" in html
    assert 'data-duty-number="19"' in html


def test_it_hides_the_members_list_from_a_resident(world):
    response = _get(world.resident, world.a)
    assert response.context["members"] is None
    assert world.committee2.display_name not in response.content.decode()


def test_it_shows_the_members_list_with_masked_phones_to_the_committee(world):
    response = _get(world.committee, world.a)
    html = response.content.decode()
    members = html[html.index('id="members-title"') :]
    for user in (world.chair, world.committee2, world.steward):
        assert user.display_name in members
        assert user.masked_phone in members
        assert user.phone.removeprefix("+86") not in members
    # Stewards and the secretary are there to be called: their numbers, for members only,
    # are under "who serves the residents" (issue 16); nobody else's.
    assert world.chair.phone.removeprefix("+86") not in html


def test_it_offers_the_duty_editor_only_to_those_who_may_edit(world):
    edit_url = reverse("compound-duties-edit", args=[world.a.slug])
    assert edit_url in _get(world.official, world.a).content.decode()
    assert edit_url not in _get(world.committee, world.a).content.decode()


def test_it_offers_the_repair_report_only_to_those_who_may_report(world):
    """No link to a page that answers 403: staff and officials handle repairs, they do not report them."""
    report_url = reverse("assessments:repair-new", args=[world.a.slug])
    assert report_url in _get(world.resident, world.a).content.decode()
    assert report_url not in _get(world.staff, world.a).content.decode()
    assert report_url not in _get(world.official, world.a).content.decode()
