"""Downloads of the ledger: the members' CSV and XLSX (same filters and readers as the
page) and the public JSON Lines export for the verifier."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from escrow.models import EscrowAccount, JournalEntry
from escrow.transparency import exports as ledger_export
from tests.escrow.transparency.helpers import ENTRY_READERS, build_resident_ledger, oracle


@pytest.fixture
def ledgers(world):
    return build_resident_ledger(world)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def download(user, name, slug, **params):
    return client_for(user).get(reverse(f"escrow:{name}", args=[slug]), params)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff"), "a BOM, so spreadsheet programs read UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


# --------------------------------------------------------------------------- CSV


def test_the_csv_streams_every_row_of_the_page_query(ledgers):
    response = download(ledgers.resident, "ledger-export-csv", ledgers.a.slug)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{ledgers.a.slug}-ledger-')
    header, *rows = csv_rows(response)
    assert header[:3] == ["Entry", "Date", "Kind"]
    sequences, *_ = oracle(ledgers.a)
    assert [int(r[0]) for r in rows] == sorted(sequences)  # oldest first
    by_seq = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    assert by_seq[2]["Counterparty"] == "1栋1单元***"
    assert by_seq[2]["Category"] == "Property fee income"  # the category's name, never its code
    assert "Category code" not in header and "fee_income" not in body(response).decode()
    assert Decimal(by_seq[4]["Money in (+) / out (−), yuan"]) == Decimal("-500.00")
    assert Decimal(by_seq[4]["Cash balance after, yuan"]) == Decimal("2034.50")
    assert by_seq[7]["Money in (+) / out (−), yuan"] == "" and by_seq[7]["Cash balance after, yuan"] == ""
    assert by_seq[9]["Reverses entry"] == "8"
    assert by_seq[9]["Hash"] == EscrowAccount.objects.get(compound=ledgers.a).head_hash
    assert (
        ledgers.b.name not in body(download(ledgers.resident, "ledger-export-csv", ledgers.a.slug)).decode()
    )


@pytest.mark.parametrize(
    "params",
    [
        {"category": "repairs"},
        {"direction": "income", "date_from": "2025-02-01"},
        {"q": "物业费"},
        {"category": "fee_income", "date_to": "2025-05-31"},
        {"kind": "payout", "direction": "expense"},
    ],
)
def test_the_csv_has_the_same_rows_as_the_page_under_each_filter(ledgers, params):
    page = download(ledgers.resident, "ledger", ledgers.a.slug, **params)
    on_page = [e["sequence"] for e in page.context["entries"]]
    _header, *rows = csv_rows(download(ledgers.resident, "ledger-export-csv", ledgers.a.slug, **params))
    assert [int(r[0]) for r in rows] == sorted(on_page)
    assert on_page == oracle(ledgers.a, **params)[0]
    assert on_page  # the filter selects something


def test_the_csv_reads_in_chunks(ledgers, monkeypatch):
    from escrow.transparency import ledger_selectors as selectors

    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 2)
    monkeypatch.setattr(selectors.iter_ledger_rows, "__kwdefaults__", {"chunk": 2})
    _header, *rows = csv_rows(download(ledgers.resident, "ledger-export-csv", ledgers.a.slug))
    assert [int(r[0]) for r in rows] == list(range(1, 10))


def test_a_bad_filter_refuses_the_download_naming_the_field(ledgers):
    for name in ["ledger-export-csv", "ledger-export-xlsx"]:
        response = download(
            ledgers.resident, name, ledgers.a.slug, category="lottery", date_from="2999-01-01"
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert "category: " in html and "date_from: " in html and "lottery" in html


# --------------------------------------------------------------------------- XLSX


def test_the_xlsx_opens_and_has_the_rows(ledgers):
    response = download(ledgers.committee, "ledger-export-xlsx", ledgers.a.slug, date_from="2025-02-01")
    assert response.status_code == 200
    assert response["Content-Type"] == ledger_export.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(body(response)), read_only=True)
    header, *rows = list(workbook.active.iter_rows(values_only=True))
    assert header[0] == "Entry"
    assert [r[0] for r in rows] == list(range(2, 10))
    by_seq = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert by_seq[4]["Money in (+) / out (−), yuan"] == -500
    assert by_seq[3]["Money in (+) / out (−), yuan"] == 1234.5
    assert by_seq[2]["Counterparty"] == "1栋1单元***"
    assert by_seq[7]["Cash balance after, yuan"] is None
    assert str(by_seq[5]["Date"])[:10] == "2025-05-20"


def test_an_xlsx_above_the_row_cap_is_refused_with_a_message_but_the_csv_is_not(ledgers, monkeypatch):
    monkeypatch.setattr(ledger_export, "XLSX_MAX_ROWS", 8)
    refused = download(ledgers.resident, "ledger-export-xlsx", ledgers.a.slug)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "More than 8 entries match" in html and "CSV" in html
    assert reverse("escrow:ledger-export-csv", args=[ledgers.a.slug]) in html
    # Exactly at the cap is fine; a filter under it too.
    monkeypatch.setattr(ledger_export, "XLSX_MAX_ROWS", 9)
    assert download(ledgers.resident, "ledger-export-xlsx", ledgers.a.slug).status_code == 200
    monkeypatch.setattr(ledger_export, "XLSX_MAX_ROWS", 1)
    assert (
        download(ledgers.resident, "ledger-export-xlsx", ledgers.a.slug, category="repairs").status_code
        == 200
    )
    _header, *rows = csv_rows(download(ledgers.resident, "ledger-export-csv", ledgers.a.slug))
    assert len(rows) == 9


# --------------------------------------------------------------------------- who may download


@pytest.mark.parametrize("name", ["ledger-export-csv", "ledger-export-xlsx"])
def test_members_exports_follow_the_pages_access(ledgers, name):
    anonymous = download(None, name, ledgers.a.slug)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("account_login"))
    personas = ledgers.personas()
    for persona in ENTRY_READERS:
        assert download(personas[persona], name, ledgers.a.slug).status_code == 200, persona
    assert download(ledgers.stranger, name, ledgers.a.slug).status_code == 404
    assert download(ledgers.steward, name, ledgers.a.slug).status_code == 403  # a member without the role


@pytest.mark.parametrize("name", ["ledger-export-csv", "ledger-export-xlsx"])
def test_compound_bs_members_get_a_404_on_as_exports(ledgers, name):
    """Tenant isolation: B's owner is told what a missing compound would tell them."""
    guessed = download(ledgers.outsider, name, ledgers.a.slug)
    missing = download(ledgers.outsider, name, "no-such-compound")
    assert guessed.status_code == missing.status_code == 404
    own = download(ledgers.outsider, name, ledgers.b.slug)
    assert own.status_code == 200
    if name.endswith("csv"):
        _header, *rows = csv_rows(own)
        assert [r[0] for r in rows] == ["1"]


# --------------------------------------------------------------------------- public JSON Lines


def jsonl(response) -> list[dict]:
    return [json.loads(line) for line in body(response).decode("utf-8").splitlines()]


def test_the_public_export_needs_no_login_and_holds_every_entry(ledgers):
    response = download(None, "ledger-export-jsonl", ledgers.a.slug)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == f'attachment; filename="{ledgers.a.slug}-ledger.jsonl"'
    header, *entries = jsonl(response)
    escrow = EscrowAccount.objects.get(compound=ledgers.a)
    assert header["format"] == "gongguan-ledger/1"
    assert (header["entry_count"], header["head_hash"]) == (9, escrow.head_hash)
    assert [e["seq"] for e in entries] == list(range(1, 10))
    assert [e["hash"] for e in entries] == list(
        JournalEntry.objects.filter(compound=ledgers.a).order_by("sequence").values_list("hash", flat=True)
    )
    assert entries[1]["counterparty"] == "1栋1单元***"
    text = body(download(None, "ledger-export-jsonl", ledgers.a.slug)).decode()
    assert "陈先生" not in text and "+86" not in text


def test_through_cuts_the_export_at_an_entry(ledgers):
    header, *entries = jsonl(download(None, "ledger-export-jsonl", ledgers.a.slug, through="3"))
    third = JournalEntry.objects.get(compound=ledgers.a, sequence=3)
    assert (header["entry_count"], header["head_hash"]) == (3, third.hash)
    assert [e["seq"] for e in entries] == [1, 2, 3]
    header, *entries = jsonl(download(None, "ledger-export-jsonl", ledgers.a.slug, through="0"))
    assert (header["entry_count"], entries) == (0, [])
    header, *entries = jsonl(download(None, "ledger-export-jsonl", ledgers.a.slug, through="9"))
    assert len(entries) == 9


@pytest.mark.parametrize("through", ["abc", "-1", "10", "1.5", "+3", "1_0", "٣", "99999999999999999999999"])
def test_a_bad_through_is_a_400_with_a_clear_message(ledgers, through):
    response = download(None, "ledger-export-jsonl", ledgers.a.slug, through=through)
    assert response.status_code == 400
    text = response.content.decode()
    assert text.startswith("through: ") and "from 0 to 9" in text


def test_the_public_export_of_an_unknown_compound_is_404(ledgers):
    assert download(None, "ledger-export-jsonl", "no-such-compound").status_code == 404


def test_the_public_export_of_a_compound_without_escrow_is_just_a_header(world):
    header, *entries = jsonl(download(None, "ledger-export-jsonl", world.a.slug))
    assert (header["entry_count"], entries) == (0, [])
