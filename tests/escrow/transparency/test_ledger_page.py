"""The members' ledger page /c/<slug>/ledger/ and the read-only admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from common.money import format_yuan
from escrow.ledger.services import PostingRequest, credit, debit, ledger_post_batch
from escrow.models import Category, EntryKind, EscrowAccount, JournalEntry, JournalLine, LedgerAccount
from tests.escrow.ledger.helpers import open_escrow, pay_in, pay_out
from tests.escrow.transparency.helpers import ENTRY_READERS, build_resident_ledger, oracle


@pytest.fixture
def ledgers(world):
    open_escrow(world.a, opening_fen=100_000)  # 1
    pay_in(world.a, 123_450, on=dt.date(2025, 3, 1))  # 2
    pay_out(world.a, 50_000, category=Category.REPAIRS, memo="电梯维修", on=dt.date(2025, 5, 1))  # 3
    open_escrow(world.b, opening_fen=7_700)
    return world


def page(user, slug, **params):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(reverse("escrow:ledger", args=[slug]), params)


def test_anonymous_is_sent_to_log_in(ledgers):
    response = page(None, ledgers.a.slug)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", ["stranger", "outsider"])
def test_non_members_get_a_404_like_a_missing_compound(ledgers, persona):
    user = ledgers.personas()[persona]
    assert page(user, ledgers.a.slug).status_code == 404
    assert page(user, "no-such-compound").status_code == 404


@pytest.mark.parametrize("persona", ENTRY_READERS)
def test_members_see_balances_and_the_journal(ledgers, persona):
    response = page(ledgers.personas()[persona], ledgers.a.slug)
    assert response.status_code == 200, persona
    html = response.content.decode()
    assert "¥1,734.50" in html  # cash: 1,000.00 + 1,234.50 − 500.00
    assert "电梯维修" in html and "#3" in html
    assert EscrowAccount.objects.get(compound=ledgers.a).head_hash in html
    assert ledgers.b.name not in html


def test_a_steward_sees_balances_but_not_the_journal(ledgers):
    response = page(ledgers.steward, ledgers.a.slug)
    assert response.status_code == 200
    html = response.content.decode()
    assert "¥1,734.50" in html
    assert "电梯维修" not in html
    assert response.context["entries"] == []


def test_the_page_is_in_chinese_by_default_and_english_on_request(ledgers, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the real default (tests otherwise read English msgids)
    client = Client()
    client.force_login(ledgers.resident)
    response = client.get(reverse("escrow:ledger", args=[ledgers.a.slug]))
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "共管账户账本" in response.content.decode()
    response = client.get(reverse("escrow:ledger", args=[ledgers.a.slug]), headers={"accept-language": "en"})
    assert '<html lang="en">' in response.content.decode()
    assert "Escrow ledger" in response.content.decode()


def test_older_and_newer_links_page_by_sequence(ledgers):
    a = ledgers.a
    with transaction.atomic():
        ledger_post_batch(
            compound=a,
            requests=[
                PostingRequest(
                    kind=EntryKind.OTHER_INCOME,
                    legs=[debit(Category.ESCROW_CASH, 100 + n), credit(Category.PARKING_INCOME, 100 + n)],
                    memo=f"停车费 {n}",
                    effective_date=dt.date(2025, 6, 1),
                )
                for n in range(22)
            ],
            actor=None,
        )
    first = page(ledgers.resident, a.slug)
    rows = [e["sequence"] for e in first.context["entries"]]
    assert rows == list(range(25, 5, -1))  # 20 a page, newest first
    assert first.context["newer_url"] is None
    assert first.context["older_url"] == "?before=6"
    second = page(ledgers.resident, a.slug, before=6)
    assert [e["sequence"] for e in second.context["entries"]] == [5, 4, 3, 2, 1]
    assert second.context["older_url"] is None
    assert second.context["newer_url"] == "?after=5"
    back = page(ledgers.resident, a.slug, after=5)
    assert [e["sequence"] for e in back.context["entries"]][:1] == [25]


def test_filters_narrow_the_list_and_stay_on_the_links(ledgers):
    response = page(ledgers.resident, ledgers.a.slug, kind="payout")
    assert [e["sequence"] for e in response.context["entries"]] == [3]
    response = page(ledgers.resident, ledgers.a.slug, account="4001", date_from="2025-01-01", date_to="")
    assert [e["sequence"] for e in response.context["entries"]] == [2]
    assert response.context["chosen"]["account"] == "4001"
    assert 'value="4001" selected' in response.content.decode()


def test_a_bad_filter_is_shown_naming_the_field(ledgers):
    response = page(ledgers.resident, ledgers.a.slug, kind="bribe", date_from="2025-02-30")
    assert response.status_code == 400
    assert set(response.context["errors"]) == {"kind", "date_from"}
    html = response.content.decode()
    assert "kind: " in html and "date_from: " in html
    assert response.context["entries"] == []


# --------------------------------------------------------------------------- admin


@pytest.fixture
def admin_client(ledgers):
    superuser = User.objects.create_superuser(phone="+8613900009999", password="pw-Gongguan-2026")
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("model", [EscrowAccount, LedgerAccount, JournalEntry, JournalLine])
def test_the_admin_shows_the_ledger_read_only(admin_client, ledgers, model):
    name = model._meta.model_name
    assert admin_client.get(reverse(f"admin:escrow_{name}_changelist")).status_code == 200
    obj = model.objects.first()
    change = admin_client.get(reverse(f"admin:escrow_{name}_change", args=[obj.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert admin_client.get(reverse(f"admin:escrow_{name}_add")).status_code == 403
    assert admin_client.get(reverse(f"admin:escrow_{name}_delete", args=[obj.pk])).status_code == 403
    assert admin_client.post(reverse(f"admin:escrow_{name}_change", args=[obj.pk]), {}).status_code == 403


def test_the_admin_offers_no_delete_action(admin_client):
    response = admin_client.get(reverse("admin:escrow_journalentry_changelist"))
    assert b"delete_selected" not in response.content


# --------------------------------------------------------------------------- the resident's ledger


@pytest.fixture
def resident_ledger(world):
    return build_resident_ledger(world)


FILTERS = [
    {},
    {"date_from": "2025-03-01", "date_to": "2025-05-31"},
    {"date_from": "2025-06-01"},
    {"category": "repairs"},
    {"category": "fee_income"},
    {"category": "suspense"},
    {"category": "owners_fund"},
    {"category": "fee_income", "date_from": "2025-02-01", "date_to": "2025-03-31"},
    {"direction": "income"},
    {"direction": "expense"},
    {"direction": "expense", "date_to": "2025-05-10"},
    {"q": "维修"},
    {"q": "invoice-a7"},
    {"q": "  物业费  "},
    {"kind": "fee_payment"},
    {"account": "4001"},
    {"category": "fee_income", "direction": "income", "q": "物业"},
    {"category": "repairs", "account": "5102"},
    {"category": "fee_income", "direction": "expense"},
]


@pytest.mark.parametrize(
    "params", FILTERS, ids=lambda p: "&".join(f"{k}={v.strip()}" for k, v in p.items()) or "none"
)
def test_filters_and_totals_match_a_hand_count(resident_ledger, params):
    response = page(resident_ledger.resident, resident_ledger.a.slug, **params)
    assert response.status_code == 200, response.context["errors"]
    sequences, count, income, expense = oracle(resident_ledger.a, **params)
    assert [e["sequence"] for e in response.context["entries"]] == sequences
    totals = response.context["totals"]
    assert totals["count"] == count
    assert totals["income"] == format_yuan(income)
    assert totals["expense"] == format_yuan(expense)
    assert count > 0 or params == {"category": "repairs", "account": "5102"}  # the filters do select


def test_the_filters_are_not_vacuous(resident_ledger):
    """The oracle itself tells filters apart (so the test above can fail)."""
    a = resident_ledger.a
    assert oracle(a)[0] == list(range(9, 0, -1))
    assert oracle(a, category="repairs")[0] == [4]
    assert oracle(a, direction="expense")[0] == [9, 5, 4]
    assert oracle(a, category="fee_income")[1:] == (5, 30_000 + 123_450 + 5_000 + 999 - 999, 0)
    assert oracle(a)[2:] == (158_450, 58_000)


def test_unfiltered_and_single_category_totals_come_from_the_cache(resident_ledger):
    from escrow.ledger.selectors import EntryFilters
    from escrow.transparency.ledger_selectors import ledger_totals

    a = resident_ledger.a
    repairs = LedgerAccount.objects.get(compound=a, category=Category.REPAIRS)
    for filters in [EntryFilters(), EntryFilters(category=repairs), EntryFilters(account=repairs)]:
        with CaptureQueriesContext(connection) as queries:
            totals = ledger_totals(a, filters)
        assert totals.from_cache
        assert not any("escrow_journalline" in q["sql"] for q in queries.captured_queries)
    assert ledger_totals(a, EntryFilters(category=repairs)).expense == 50_000
    assert not ledger_totals(a, EntryFilters(date_from=dt.date(2025, 1, 1))).from_cache


def test_rows_show_category_counterparty_signed_amount_and_running_balance(resident_ledger):
    response = page(resident_ledger.resident, resident_ledger.a.slug)
    rows = {e["sequence"]: e for e in response.context["entries"]}
    assert (rows[1]["category"], rows[1]["amount"], rows[1]["balance"]) == (
        "Owners' fund",
        "+¥1,000.00",
        "¥1,000.00",
    )
    assert rows[2]["counterparty"] == "1栋1单元***"
    assert (rows[2]["category"], rows[2]["amount"], rows[2]["balance"]) == (
        "Property fee income",
        "+¥300.00",
        "¥1,300.00",
    )
    assert (rows[4]["category"], rows[4]["amount"], rows[4]["balance"]) == (
        "Repairs",
        "−¥500.00",
        "¥2,034.50",
    )
    assert rows[4]["direction"] == "out" and rows[3]["direction"] == "in"
    assert rows[6]["category"] == "Unidentified receipts"
    # An assignment moves no cash: no sign, no running balance; filed under the income.
    assert (rows[7]["category"], rows[7]["amount"], rows[7]["balance"]) == ("Property fee income", "—", "—")
    assert rows[9]["reverses"] == 8 and rows[8]["reversed_by"] == 9
    assert rows[9]["amount"] == "−¥9.99"
    html = response.content.decode()
    assert "1栋1单元***" in html and "陈先生" not in html
    assert 'data-label="Balance"' in html  # cells are labelled for the phone layout


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"date_from": "2999-01-01"}, "date_from", "in the future"),
        ({"date_to": "2999-12-31"}, "date_to", "in the future"),
        ({"date_from": "2024-12-31"}, "date_from", "before the escrow account opened (2025-01-01)"),
        ({"date_to": "2024-06-30"}, "date_to", "before the escrow account opened"),
        ({"category": "lottery"}, "category", "“lottery” is not a category of the ledger; choose one of: "),
        ({"category": "escrow_cash"}, "category", "not a category of the ledger"),
        ({"direction": "sideways"}, "direction", "sideways"),
        ({"q": "x" * 101}, "q", "100"),
    ],
)
def test_bad_input_gets_a_clear_error_naming_the_field(resident_ledger, params, field, words):
    response = page(resident_ledger.resident, resident_ledger.a.slug, **params)
    assert response.status_code == 400
    assert list(response.context["errors"]) == [field]
    html = response.content.decode()
    assert f"{field}: " in html
    assert words in " ".join(response.context["errors"][field])
    assert response.context["entries"] == []


def test_a_period_up_to_today_is_fine(resident_ledger):
    today = timezone.localdate().isoformat()
    response = page(resident_ledger.resident, resident_ledger.a.slug, date_from="2025-01-01", date_to=today)
    assert response.status_code == 200
    assert len(response.context["entries"]) == 9


def test_filtered_keyset_pages_keep_the_filter_and_the_totals(resident_ledger):
    a = resident_ledger.a
    with transaction.atomic():
        ledger_post_batch(
            compound=a,
            requests=[
                PostingRequest(
                    kind=EntryKind.OTHER_INCOME,
                    legs=[debit(Category.ESCROW_CASH, 100 + n), credit(Category.PARKING_INCOME, 100 + n)],
                    memo=f"停车费 {n}",
                    effective_date=dt.date(2025, 7, 1),
                )
                for n in range(23)
            ],
            actor=None,
        )
    first = page(resident_ledger.resident, a.slug, q="停车费", direction="income")
    assert [e["sequence"] for e in first.context["entries"]] == list(range(32, 12, -1))
    assert first.context["totals"]["count"] == 23
    assert first.context["totals"]["income"] == format_yuan(sum(100 + n for n in range(23)))
    older = first.context["older_url"]
    assert "q=" in older and "direction=income" in older and "before=13" in older
    second = Client()
    second.force_login(resident_ledger.resident)
    response = second.get(reverse("escrow:ledger", args=[a.slug]) + older)
    assert [e["sequence"] for e in response.context["entries"]] == [12, 11, 10]
    assert response.context["totals"]["count"] == 23
    assert response.context["older_url"] is None
    assert "after=12" in response.context["newer_url"]
    # A period pages the same way (its rows come off the date index, newest first).
    period = page(resident_ledger.resident, a.slug, date_from="2025-06-01", date_to="2025-07-01")
    assert [e["sequence"] for e in period.context["entries"]] == list(range(32, 12, -1))
    assert period.context["totals"]["count"] == 23 + 3  # entries 6 and 7 (June 1–2) and 8 (June 3)
    after = page(resident_ledger.resident, a.slug, date_from="2025-06-01", date_to="2025-07-01", before=13)
    assert [e["sequence"] for e in after.context["entries"]] == [12, 11, 10, 8, 7, 6]
    assert after.context["older_url"] is None
    back = page(resident_ledger.resident, a.slug, date_from="2025-06-01", date_to="2025-07-01", after=12)
    assert [e["sequence"] for e in back.context["entries"]] == list(range(32, 12, -1))


def test_quick_periods_stay_within_the_ledger(resident_ledger):
    response = page(resident_ledger.resident, resident_ledger.a.slug)
    presets = response.context["presets"]
    assert presets, "this month at least"
    today = timezone.localdate()
    for preset in presets:
        assert dt.date.fromisoformat(preset["date_from"]) >= dt.date(2025, 1, 1)
        assert dt.date.fromisoformat(preset["date_to"]) <= today
        assert (
            page(
                resident_ledger.resident,
                resident_ledger.a.slug,
                **{"date_from": preset["date_from"], "date_to": preset["date_to"]},
            ).status_code
            == 200
        )


def test_export_links_carry_the_filter(resident_ledger):
    response = page(resident_ledger.resident, resident_ledger.a.slug, category="repairs", q="维修")
    assert "category=repairs" in response.context["export_csv_url"]
    assert response.context["export_xlsx_url"].startswith(
        reverse("escrow:ledger-export-xlsx", args=[resident_ledger.a.slug])
    )
    assert "before=" not in response.context["export_csv_url"]


# --------------------------------------------------------------------------- phone first


@pytest.mark.browser
@pytest.mark.parametrize(("width", "cards"), [(390, True), (1200, False)])
def test_on_a_phone_the_rows_become_cards(resident_ledger, live_server, browser, width, cards, tmp_path):
    from django.conf import settings as django_settings

    client = Client()
    client.force_login(resident_ledger.resident, backend="django.contrib.auth.backends.ModelBackend")
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(reverse("escrow:ledger", args=[resident_ledger.a.slug]))
    row = page.locator("#entry-4")
    assert "电梯维修" in row.inner_text()
    display = row.evaluate("el => getComputedStyle(el).display")
    assert (display == "block") is cards, display
    page.screenshot(path=str(tmp_path / f"ledger-{width}.png"), full_page=True)
    # Nothing runs off the side of a phone screen.
    wide = page.evaluate(
        """(width) => [...document.querySelectorAll('main *')]
             .filter(el => el.getBoundingClientRect().right > width)
             .slice(0, 5).map(el => el.tagName + '.' + el.className)""",
        width,
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
    context.close()


# --------------------------------------------------------------------------- amounts (issue 16)


def _sequences(response) -> list[int]:
    return [row["sequence"] for row in response.context["entries"]]


@pytest.mark.parametrize("typed", ["1234.50", "1,234.50", "¥1234.5", "1234.50元", " 1234.50 "])
def test_searching_an_amount_finds_the_entry_of_that_amount(ledgers, typed):
    response = page(ledgers.resident, ledgers.a.slug, q=typed)
    assert response.status_code == 200
    assert _sequences(response) == [2]
    assert response.context["totals"]["count"] == 1


def test_an_amount_that_no_entry_has_finds_nothing_and_words_still_search_the_memos(ledgers):
    assert _sequences(page(ledgers.resident, ledgers.a.slug, q="1234.56")) == []
    assert _sequences(page(ledgers.resident, ledgers.a.slug, q="电梯")) == [3]
    html = page(ledgers.resident, ledgers.a.slug).content.decode()
    assert "an amount in yuan (1234.56) finds the entries of exactly that amount" in html


def test_the_amount_range_filter_keeps_both_ends(ledgers):
    def seqs(**params):
        return _sequences(page(ledgers.resident, ledgers.a.slug, **params))

    assert seqs(amount_min="500", amount_max="1000") == [3, 1]  # ¥500.00 and ¥1,000.00
    assert seqs(amount_min="500.01") == [2, 1]
    assert seqs(amount_max="499.99") == []
    assert seqs(amount_min="1,234.50", amount_max="1234.50") == [2]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"amount_min": "abc"}, "amount_min"),
        ({"amount_max": "1.234"}, "amount_max"),
        ({"amount_min": "20", "amount_max": "10"}, "amount_max"),
    ],
)
def test_a_bad_amount_range_is_refused_naming_the_field(ledgers, params, field):
    response = page(ledgers.resident, ledgers.a.slug, **params)
    assert response.status_code == 400
    assert list(response.context["errors"]) == [field]


def test_the_api_searches_amounts_and_ranges_too(ledgers):
    client = Client()
    client.force_login(ledgers.resident)
    url = reverse("api:ledger-entry-list", args=[ledgers.a.slug])
    found = client.get(url, {"q": "1234.50"}).json()
    assert [e["sequence"] for e in found["results"]] == [2]
    ranged = client.get(url, {"amount_min": "500", "amount_max": "500"}).json()
    assert [e["sequence"] for e in ranged["results"]] == [3]
    bad = client.get(url, {"amount_min": "x"})
    assert bad.status_code == 400 and "amount_min" in bad.json()["extra"]["fields"]
