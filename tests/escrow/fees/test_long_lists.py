"""Paging, search and order on the long lists of money coming in (issue 16): arrears,
payments, unidentified receipts and imported statements; units written as their label."""

from __future__ import annotations

from django.urls import reverse

from escrow.fees import views
from escrow.fees.services.billing import bills_generate
from escrow.fees.services.imports import statement_import
from escrow.fees.services.payments import payment_record
from escrow.models import Payment, StatementImport
from tests.escrow.fees.helpers import JAN, add_unit, client_for, csv_text, make_mapping, row, serial_of


def _units(w, n: int):
    return [add_unit(w, f"{300 + i}", "100.00") for i in range(n)]


def test_the_arrears_list_pages_searches_and_sorts(escrow_world, settings, monkeypatch):
    w = escrow_world
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 3)
    _units(w, 5)  # 1栋1单元300 … 304, plus the world's 101 and 102: seven units owe January
    bills_generate(compound=w.a, period=JAN)
    payment_record(
        compound=w.a,
        unit=w.unit_a,
        amount_fen=10_000,
        method="cash",
        received_on=JAN,
        receipt_no="R1",
        actor=w.staff,
    )  # fmt: skip — 101 now owes less than the others
    client = client_for(w.committee)
    url = reverse("escrow:arrears", args=[w.a.slug])
    first = client.get(url)
    assert first.status_code == 200
    assert first.context["units"] == 7 and len(first.context["rows"]) == 3
    assert first.context["page"].paginator.num_pages == 3
    html = first.content.decode()
    assert "7 units owe" in html and 'rel="next"' in html and "Page 1 of 3" in html
    last = client.get(url, {"page": 3})
    assert len(last.context["rows"]) == 1
    found = client.get(url, {"q": "1栋1单元303"})
    assert [r["unit"] for r in found.context["rows"]] == ["1栋1单元303"]
    assert client.get(url, {"q": "1-1-303"}).context["rows"][0]["unit"] == "1栋1单元303"  # however written
    assert client.get(url, {"q": "9栋"}).context["rows"] == []
    assert [r["unit"] for r in client.get(url, {"q": "1栋1单元30", "sort": "unit"}).context["rows"]] == [
        "1栋1单元300",
        "1栋1单元301",
        "1栋1单元302",
    ]
    assert client.get(url, {"q": "1栋"}).context["matching"] == 7
    assert "No unit in arrears matches this search." in client.get(url, {"q": "9栋"}).content.decode()
    by_amount = client.get(url, {"sort": "amount", "page": 3}).context["rows"]
    assert by_amount[0]["unit"] == w.unit_a.label  # the smallest debt comes last
    by_unit = client.get(url, {"sort": "unit"}).context["rows"]
    assert [r["unit"] for r in by_unit] == ["1栋1单元101", "1栋1单元102", "1栋1单元300"]
    # The page links keep the search and the order.
    assert "?sort=unit&amp;page=2" in client.get(url, {"sort": "unit"}).content.decode()


def test_the_payments_list_pages_and_finds_a_receipt_a_unit_or_an_amount(escrow_world, monkeypatch):
    w = escrow_world
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    other = w.building_a.units.get(number="102")
    for n, (unit, fen) in enumerate([(w.unit_a, 100_00), (other, 234_56), (w.unit_a, 300_00)], start=1):
        payment_record(
            compound=w.a, unit=unit, amount_fen=fen, method="cash", received_on=JAN, receipt_no=f"RC-{n}",
            actor=w.staff,
        )  # fmt: skip
    client = client_for(w.staff)
    url = reverse("escrow:payment-record", args=[w.a.slug])

    def receipts(**params):
        return [r["payment"].receipt_no for r in client.get(url, params).context["recent"]]

    assert receipts() == ["RC-3", "RC-2"]
    assert receipts(page=2) == ["RC-1"]
    assert receipts(q="RC-2") == ["RC-2"]
    assert receipts(q="234.56") == ["RC-2"]
    assert receipts(q="1栋1单元102") == ["RC-2"]
    assert receipts(q="1栋1单元101") == ["RC-3", "RC-1"]
    assert receipts(q="nothing-like-it") == []
    page = client.get(url).content.decode()
    assert "1栋1单元102" in page and "1栋-1-102" not in page  # units by their label


def test_suspense_and_statements_are_searched_and_paged(escrow_world, monkeypatch):
    w = escrow_world
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    mapping = make_mapping(w.a)
    for n, payer in enumerate(["王女士", "李先生", "赵先生"], start=1):
        text = csv_text([row(f"2026-01-0{n}", f"{n}0.00", f"S{n}", "转账", payer=payer)])
        statement_import(
            compound=w.a, mapping=mapping, file_name=f"statement-{n}.csv", data=text.encode(), actor=w.staff
        )
    assert Payment.objects.filter(unit__isnull=True).count() == 3
    manager = client_for(w.manager)
    suspense = reverse("escrow:suspense", args=[w.a.slug])
    assert [serial_of(r["payment"]) for r in manager.get(suspense).context["rows"]] == ["S1", "S2"]
    assert [serial_of(r["payment"]) for r in manager.get(suspense, {"page": 2}).context["rows"]] == ["S3"]
    assert [serial_of(r["payment"]) for r in manager.get(suspense, {"q": "李先生"}).context["rows"]] == ["S2"]
    assert [serial_of(r["payment"]) for r in manager.get(suspense, {"q": "30.00"}).context["rows"]] == ["S3"]

    staff = client_for(w.staff)
    statements = reverse("escrow:statement-import", args=[w.a.slug])
    assert StatementImport.objects.count() == 3
    names = [i["record"].file_name for i in staff.get(statements).context["history"]]
    assert names == ["statement-3.csv", "statement-2.csv"]
    assert [
        i["record"].file_name for i in staff.get(statements, {"q": "statement-1"}).context["history"]
    ] == ["statement-1.csv"]
    assert (
        "No imported statement matches this search." in staff.get(statements, {"q": "x.csv"}).content.decode()
    )
