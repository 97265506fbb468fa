"""Collection rate (收缴率), cash basis: fen received in a month ÷ fen billed for it.
A worked example, computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from communities import services as community_services
from escrow.fees import selectors
from escrow.fees.services.billing import bills_generate
from escrow.fees.services.payments import payment_record, suspense_assign
from tests.escrow.fees.helpers import (
    FEB,
    JAN,
    MAR,
    add_unit,
    assert_ledgers_verify,
    client_for,
    csv_text,
    make_mapping,
    payment_of,
    row,
)


def _world_with_payments(w):
    """Compound A: 1栋 has 101 (89.50 m²) and 102 (120.00 m²); 2栋 gets 2-1-101 (100.00 m²).
    Rate 120 fen/m²/month → bills of 10,740 + 14,400 + 12,000 = 37,140 fen a month.

    Payments:
      2026-01-20  101 pays 10,740 (cash)
      2026-02-05  102 pays 28,800 (January and February at once)
      2026-02-27  5,000 arrives unidentified; assigned to 101 on a later day
      2026-03-03  1,000 arrives unidentified and stays in suspense
    """
    building_2 = community_services.building_create(compound=w.a, name="2栋", sort_key=2, actor=None)
    add_unit(w, "101", "100.00", building=building_2)
    unit_102 = w.unit_a.building.units.get(number="102")
    for month in (JAN, FEB, MAR):
        bills_generate(compound=w.a, period=month)
    payment_record(
        compound=w.a, unit=w.unit_a, amount_fen=10740, method="cash",
        received_on=dt.date(2026, 1, 20), receipt_no="R1", actor=w.staff,
    )  # fmt: skip
    payment_record(
        compound=w.a, unit=unit_102, amount_fen=28800, method="pos",
        received_on=dt.date(2026, 2, 5), receipt_no="R2", actor=w.staff,
    )  # fmt: skip
    from escrow.fees.services.imports import statement_import

    mapping = make_mapping(w.a)
    text = csv_text([row("2026-02-27", "50.00", "S1", "转账"), row("2026-03-03", "10.00", "S2", "转账")])
    statement_import(compound=w.a, mapping=mapping, file_name="s.csv", data=text.encode(), actor=w.staff)

    suspense_assign(payment=payment_of("S1"), unit=w.unit_a, actor=w.manager)
    return building_2


def test_collection_rate_worked_example(escrow_world):
    w = escrow_world
    building_2 = _world_with_payments(w)

    table = selectors.collection_rates(w.a, first=JAN, last=MAR)
    got = [(r.period, r.billed_fen, r.received_fen, r.rate) for r in table.compound]
    assert got == [
        # January: 10,740 received ÷ 37,140 billed = 28.917…% → 28.9
        (JAN, 37140, 10740, Decimal("28.9")),
        # February: 28,800 + 5,000 (assigned; counted in the month it arrived) = 33,800
        #           ÷ 37,140 = 91.006…% → 91.0
        (FEB, 37140, 33800, Decimal("91.0")),
        # March: the 1,000 in suspense is not yet anyone's fee → 0 ÷ 37,140 = 0.0
        (MAR, 37140, 0, Decimal("0.0")),
    ]
    # The period: 44,540 ÷ 111,420 = 39.974…% → 40.0
    assert (table.total.billed_fen, table.total.received_fen, table.total.rate) == (
        111420,
        44540,
        Decimal("40.0"),
    )

    by_building = {b.name: rows for b, rows in table.buildings}
    # 1栋: bills 25,140 a month. January 10,740 ÷ 25,140 = 42.72…% → 42.7;
    # February 33,800 ÷ 25,140 = 134.45…% → 134.4 (a back payment: more than 100 %).
    assert [(r.received_fen, r.rate) for r in by_building["1栋"]] == [
        (10740, Decimal("42.7")),
        (33800, Decimal("134.4")),
        (0, Decimal("0.0")),
    ]
    assert [(r.billed_fen, r.rate) for r in by_building[building_2.name]] == [(12000, Decimal("0.0"))] * 3
    # The compound's row is the sum of its buildings' rows.
    for index, compound_row in enumerate(table.compound):
        assert compound_row.billed_fen == sum(rows[index].billed_fen for rows in by_building.values())
        assert compound_row.received_fen == sum(rows[index].received_fen for rows in by_building.values())
    assert_ledgers_verify(w.a)


def test_a_month_without_bills_has_no_rate(escrow_world):
    table = selectors.collection_rates(escrow_world.a, first=dt.date(2025, 12, 1), last=dt.date(2025, 12, 1))
    assert (table.compound[0].billed_fen, table.compound[0].rate) == (0, None)


def test_the_page_and_the_api_show_the_same_figures(escrow_world):
    w = escrow_world
    _world_with_payments(w)
    client = client_for(w.committee)
    api = client.get(
        reverse("api:escrow-collection-rates", args=[w.a.slug]), {"from": "2026-01", "to": "2026-03"}
    )
    assert api.status_code == 200, api.json()
    assert [r["rate"] for r in api.json()["compound"]] == ["28.9", "91.0", "0.0"]
    assert api.json()["total"]["received_fen"] == 44540
    page = client.get(reverse("escrow:collection", args=[w.a.slug]), {"start": "2026-01", "end": "2026-03"})
    assert page.status_code == 200
    assert "28.9%" in page.content.decode() and "91.0%" in page.content.decode()

    bad = client.get(
        reverse("api:escrow-collection-rates", args=[w.a.slug]), {"from": "2026-05", "to": "2026-01"}
    )
    assert bad.status_code == 400
    assert client.get(reverse("escrow:collection", args=[w.a.slug]), {"start": "x"}).status_code == 200


def test_arrears_list_and_statement_in_the_api(escrow_world):
    w = escrow_world
    _world_with_payments(w)
    client = client_for(w.committee)
    arrears = client.get(reverse("api:escrow-arrears-list", args=[w.a.slug])).json()
    # 2栋-1-101 owes all three months (since January); 1栋-102 paid Jan+Feb; 1栋-101 paid Jan + 5,000.
    assert [(a["unit_reference"], a["oldest_unpaid"], a["arrears_fen"]) for a in arrears["results"]] == [
        (f"{w.a.slug.upper()}-2栋-1-101", "2026-01-01", 36000),
        (f"{w.a.slug.upper()}-1栋-1-101", "2026-02-01", 3 * 10740 - 15740),
        (f"{w.a.slug.upper()}-1栋-1-102", "2026-03-01", 14400),
    ]
    statement = client.get(reverse("api:escrow-unit-statement", args=[w.a.slug, w.unit_a.pk])).json()
    assert statement["arrears_fen"] == 3 * 10740 - 15740
    assert [line["kind"] for line in statement["lines"]] == ["bill", "payment", "bill", "payment", "bill"]
    page = client.get(reverse("escrow:arrears", args=[w.a.slug]))
    assert "2栋1单元101" in page.content.decode()
