"""The party structure on three levels, the stewards by building and the compound's
secretary, on the public page (phones masked) and the members' page (issue 16)."""

from __future__ import annotations

from communities import services
from communities.models import PartyUnit
from tests.pages.helpers import client_for, page_urls


def _party(world):
    org = services.party_unit_create(
        level=PartyUnit.Level.COMMUNITY_ORGANISATION,
        name="书台社区党委",
        community=world.community,
        actor=None,
    )
    branch = services.party_unit_create(
        level=PartyUnit.Level.COMPOUND_BRANCH,
        name="尚城国际小区党支部",
        community=world.community,
        parent=org,
        compound=world.a,
        actor=None,
    )
    services.party_unit_create(
        level=PartyUnit.Level.BUILDING_GROUP,
        name="1栋党小组",
        community=world.community,
        parent=branch,
        compound=world.a,
        building=world.building_a,
        actor=None,
    )


def test_the_public_page_shows_the_three_levels_the_stewards_and_the_secretary_masked(world):
    _party(world)
    html = client_for(None).get(page_urls(world.a)["public"]).content.decode()
    section = html[html.index('id="people-title"') :]
    assert section.index("书台社区党委") < section.index("尚城国际小区党支部") < section.index("1栋党小组")
    assert "Compound party branch" in section and "Building party group" in section
    steward_phone = world.steward.phone.removeprefix("+86")
    assert "赵管家" in section and f"{steward_phone[:3]}****{steward_phone[-4:]}" in section
    assert "吴秘书" in section
    for phone in (world.steward.phone, world.secretary.phone):
        assert phone.removeprefix("+86") not in html
    assert "tel:" not in section


def test_the_members_page_gives_residents_the_stewards_number(world):
    _party(world)
    html = client_for(world.resident).get(page_urls(world.a)["members"]).content.decode()
    section = html[html.index('id="people-title"') :]
    assert f'href="tel:{world.steward.phone}"' in section
    assert f'href="tel:{world.secretary.phone}"' in section
    assert "1栋党小组" in section


def test_it_says_so_when_nothing_is_recorded(world):
    html = client_for(None).get(page_urls(world.b)["public"]).content.decode()
    assert "The party organisation of this compound is not recorded yet." in html
    assert "No stewards assigned to buildings yet." in html
    assert "No secretary assigned to this compound yet." in html
