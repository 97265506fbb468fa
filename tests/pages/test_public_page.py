"""The public compound page: no log-in, the 19 duties, and no phone numbers."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.default_duties import DEFAULT_DUTIES
from escrow.models import Category, Disclosure, EscrowAccount
from tests.escrow.ledger.helpers import open_escrow, pay_in, pay_out
from tests.escrow.transparency.helpers import build, fill_quarter, last_quarter, publish, quarter_before
from tests.pages.helpers import client_for, page_urls


def _html(client, compound):
    response = client.get(page_urls(compound)["public"])
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_19_duties_to_anyone(world):
    html = _html(client_for(None), world.a)
    numbers = set(re.findall(r'data-duty-number="(\d+)"', html))
    assert numbers == {str(n) for n in range(1, 20)}
    for duty in DEFAULT_DUTIES:
        assert duty["title"] in html


def test_it_groups_the_duties_by_party(world):
    html = _html(client_for(None), world.a)
    for party in ("community", "committee", "company"):
        assert f'class="duty-group party-{party}"' in html
    # 共管账户管理 (item 4) is a duty of all three parties, so it appears in each group.
    assert html.count("共管账户管理") == 3


def test_it_names_who_runs_the_compound(world):
    html = _html(client_for(None), world.a)
    assert world.a.name in html
    assert world.community.name in html
    assert world.office.name in html
    assert world.company.name in html
    assert "2025-12-25" in html
    for user in (world.chair, world.committee, world.committee2):
        assert user.display_name in html


def test_it_counts_the_stewards(world):
    response = client_for(None).get(page_urls(world.a)["public"])
    assert response.context["steward_count"] == 1


def test_it_shows_no_phone_numbers(world):
    html = _html(client_for(None), world.a)
    for user in (world.chair, world.committee, world.committee2, world.steward, world.official):
        national = user.phone.removeprefix("+86")
        assert national not in html
        if user is world.steward:
            continue  # residents reach their steward: masked on the public page (issue 16)
        assert national[-4:] + "<" not in html  # not even the masked tail
        assert user.masked_phone not in html
    assert world.steward.masked_phone in html


def test_it_shows_no_phone_number_for_a_member_without_a_name(world):
    """A user's str() falls back to the username, which is the phone number."""
    world.committee.display_name = ""
    world.committee.save(update_fields=["display_name"])
    html = _html(client_for(None), world.a)
    assert world.committee.phone.removeprefix("+86") not in html


def test_it_answers_404_for_an_unknown_slug(world):
    assert client_for(None).get(reverse("compound-public", args=["nowhere"])).status_code == 404


def test_it_links_members_to_their_page_and_no_one_else(world):
    members_url = page_urls(world.a)["members"]
    assert members_url in _html(client_for(world.resident), world.a)
    assert members_url not in _html(client_for(None), world.a)
    assert members_url not in _html(client_for(world.outsider), world.a)


def test_it_lists_the_pilot_compounds_on_the_landing_page(world):
    html = client_for(None).get(reverse("home")).content.decode()
    assert page_urls(world.a)["public"] in html
    assert page_urls(world.b)["public"] in html
    assert page_urls(world.a)["members"] not in html


def test_the_landing_page_tells_the_scheme_in_figures(world):
    """The street office's headline figures (compounds, money managed, meetings, issues
    resolved), as on its dashboard, for anyone."""
    html = client_for(None).get(reverse("home")).content.decode()
    assert "data-story" in html
    for figure in ("compounds", "money", "meetings", "topics"):
        assert f'data-figure="{figure}"' in html
    assert world.office.name in html


# --------------------------------------------------------------------------- the escrow account block


def _escrow_with_entries(world, *, this_year: int = 3, last_year: int = 1):
    """A's escrow account (opened 2025-01-01, ¥1,000.00): ``this_year`` fees of ¥100.00 and
    one repair of ¥30.00 dated today, and ``last_year`` fees of ¥7,000.00 dated last year."""
    today = timezone.localdate()
    open_escrow(world.a, opening_fen=1_000_00)
    for _ in range(last_year):
        pay_in(world.a, 7_000_00, on=dt.date(today.year - 1, 6, 1))
    for _ in range(this_year):
        pay_in(world.a, 100_00, on=today)
    pay_out(world.a, 30_00, category=Category.REPAIRS, memo="门禁维修", on=today)
    return today


def test_it_says_when_there_is_no_escrow_account(world):
    html = _html(client_for(None), world.a)
    assert "This compound has no escrow account yet." in html


def test_it_shows_the_balance_and_this_years_income_and_expenses(world, postgres_only):
    today = _escrow_with_entries(world)
    response = client_for(None).get(page_urls(world.a)["public"])
    html = response.content.decode()
    funds = response.context["funds"]
    # Cash: 1,000.00 + 7,000.00 + 3 × 100.00 − 30.00.
    assert funds["cash"] == "¥8,270.00"
    # This year only: last year's ¥7,000.00 and the opening balance are not income of this year.
    assert [(r["code"], r["label"], r["amount"]) for r in funds["income"]] == [
        ("4001", "Property fee income", "¥300.00")
    ]
    assert [(r["code"], r["label"], r["amount"]) for r in funds["expenses"]] == [
        ("5201", "Repairs", "¥30.00")
    ]
    assert funds["income_total"] == "¥300.00" and funds["expense_total"] == "¥30.00"
    assert f"Income in {today.year}" in html
    assert "¥8,270.00" in html
    escrow = EscrowAccount.objects.get(compound=world.a)
    assert escrow.entry_count == 6
    assert escrow.head_hash in html
    assert f"/c/{world.a.slug}/ledger/export.jsonl?through=6" in html
    # No memos, units or people from the journal on the public page.
    assert "门禁维修" not in html


def test_the_escrow_block_costs_the_same_number_of_queries_however_long_the_journal(
    world, postgres_only, django_assert_max_num_queries
):
    _escrow_with_entries(world, this_year=1, last_year=1)
    client = client_for(None)
    with CaptureQueriesContext(connection) as short:
        client.get(page_urls(world.a)["public"])
    for _ in range(25):
        pay_in(world.a, 1_00)
    with django_assert_max_num_queries(len(short.captured_queries)):
        response = client.get(page_urls(world.a)["public"])
    assert response.status_code == 200


def test_it_links_the_latest_four_published_disclosures(
    world, postgres_only, django_capture_on_commit_callbacks
):
    open_escrow(world.a, opening_fen=1_000_00)
    quarters = [last_quarter()]
    for _ in range(4):
        quarters.append(quarter_before(quarters[-1]))
    quarters.reverse()  # oldest first: a quarter's books close when it is built
    for q in quarters:
        fill_quarter(world.a, q)
    built = [build(django_capture_on_commit_callbacks, world.a, q, world.official) for q in quarters]
    for disclosure in built[:-1]:
        publish(django_capture_on_commit_callbacks, disclosure, world.official)
    newest_unpublished = built[-1]

    response = client_for(None).get(page_urls(world.a)["public"])
    html = response.content.decode()
    shown = [row["disclosure"].pk for row in response.context["disclosures"]]
    # The four published ones, newest first; the newest quarter is not published yet.
    assert shown == [d.pk for d in reversed(built[:-1])]
    for disclosure in built[:-1]:
        assert (
            reverse(
                "escrow:disclosure-detail",
                kwargs={
                    "slug": world.a.slug,
                    "year": disclosure.year,
                    "quarter": disclosure.quarter,
                    "version": disclosure.version,
                },
            )
            in html
        )
    assert f"/disclosures/{newest_unpublished.year}-Q{newest_unpublished.quarter}/" not in html
    assert reverse("escrow:disclosure-list", kwargs={"slug": world.a.slug}) in html
    # Publishing the fifth pushes the oldest off the page.
    publish(django_capture_on_commit_callbacks, newest_unpublished, world.official)
    response = client_for(None).get(page_urls(world.a)["public"])
    assert [row["disclosure"].pk for row in response.context["disclosures"]] == [
        d.pk for d in reversed(built[1:])
    ]
    assert Disclosure.objects.filter(compound=world.a).count() == 5


def test_the_escrow_block_shows_no_phone_numbers_or_units(world, postgres_only):
    _escrow_with_entries(world)
    html = _html(client_for(None), world.a)
    for user in (world.resident, world.official, world.chair):
        assert user.phone.removeprefix("+86") not in html
    assert world.resident.display_name not in html
    assert world.unit_a.masked_label not in html
