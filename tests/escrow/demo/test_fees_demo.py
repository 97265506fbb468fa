"""escrow.demo.fees: a year of bills and payments for the pilots, idempotent, verifiable."""

from __future__ import annotations

import datetime as dt
import io

from communities import services
from escrow.demo.fees import FIRST_MONTH, seed_escrow_demo
from escrow.models import FeeBill, JournalEntry, Payment, StatementImport
from tests.escrow.fees.helpers import assert_ledgers_verify


def _pilot(office, community, company, slug, name, units):
    compound = services.compound_create(community=community, name=name, slug=slug, actor=None)
    services.contract_start(
        compound=compound, company=company, start_date=dt.date(2024, 1, 1), fee_rate_fen=120, actor=None
    )
    building = services.building_create(compound=compound, name="1栋", actor=None)
    for n in range(units):
        services.unit_create(
            building=building,
            entrance="1",
            number=f"{n // 2 + 1}{n % 2 + 1:02d}",
            floor_area="90.00",
            actor=None,
        )
    return compound


def test_the_demo_seeds_a_year_once_and_skips_missing_pilots(db):
    office = services.street_office_create(name="浮山街道", actor=None)
    community = services.community_create(street_office=office, name="书台社区", actor=None)
    company = services.property_company_create(name="华懋物业", actor=None)
    shangcheng = _pilot(office, community, company, "shangcheng", "尚城国际", 8)
    yinquan = _pilot(office, community, company, "yinquan", "银泉广场", 6)

    out = io.StringIO()
    summary = seed_escrow_demo(stdout=out)
    assert set(summary) == {"shangcheng", "yinquan"}
    assert "longquan" in out.getvalue()  # reported as skipped

    months = FeeBill.objects.filter(compound=shangcheng).dates("period", "month")
    assert months[0] == FIRST_MONTH and len(months) == 12
    assert FeeBill.objects.filter(compound=yinquan).count() == 6 * 12
    # A small world cannot reach ¥1.01 million: everyone pays, yet nobody pays twice for a month.
    for compound in (shangcheng, yinquan):
        billed, received = summary[compound.slug]
        assert 0 < received <= billed
    assert Payment.objects.filter(source="import").exists()
    assert_ledgers_verify(shangcheng, yinquan)

    before = (JournalEntry.objects.count(), Payment.objects.count(), StatementImport.objects.count())
    assert seed_escrow_demo(stdout=io.StringIO()) == summary
    assert (JournalEntry.objects.count(), Payment.objects.count(), StatementImport.objects.count()) == before
