"""The settlement demo on the seed's pilots (the whole seed, then the assessment demo)."""

from __future__ import annotations

import io

import pytest

from assessments.demo import seed_assessments_demo
from escrow.ledger.verification import ledger_verify
from escrow.models import Disclosure, PayoutStatus
from escrow.transparency.public_export import iter_export_lines
from portal.management.commands.seed_demo import Seeder
from settlements.demo import DEMO_YEAR, seed_settlements_demo
from settlements.models import Settlement, SettlementStatus
from settlements.selectors import preview, public_settlements
from tests.settlements.test_verifier import verify

pytestmark = pytest.mark.django_db


def test_each_pilot_settles_its_first_year_and_shangcheng_is_released_and_paid(tmp_path):
    seeder = Seeder(out=io.StringIO())
    for stage in seeder.stages:
        stage()
    seed_assessments_demo(stdout=io.StringIO())
    out = io.StringIO()
    summary = seed_settlements_demo(stdout=out)
    print(out.getvalue())
    shangcheng = seeder.compounds["shangcheng"]
    settlement = Settlement.objects.get(compound=shangcheng, year=DEMO_YEAR)
    assert settlement.status == SettlementStatus.RELEASED, summary
    assert settlement in public_settlements(shangcheng)
    assert settlement.figures["inputs"]["disclosures"][0]["quarter"] == 4  # the account opened in Dec 2025
    if settlement.release_fen:
        assert settlement.payout.status == PayoutStatus.PAID
        assert settlement.payout.amount_fen == settlement.release_fen
    assert ledger_verify(shangcheng).problems == []

    # The stand-alone verifier confirms the demo's settlement from the public files.
    paths = {"settlement": tmp_path / "settlement.json", "ledger": tmp_path / "ledger.jsonl"}
    paths["settlement"].write_bytes(bytes(settlement.files.get(format="json").content))
    paths["ledger"].write_bytes(b"".join(iter_export_lines(shangcheng)))
    quarters = []
    for d in Disclosure.objects.filter(compound=shangcheng, year=DEMO_YEAR, status="published"):
        quarters.append(tmp_path / f"q{d.quarter}.json")
        quarters[-1].write_bytes(bytes(d.files.get(format="json").content))
    result = verify(paths, quarters)
    assert result.stdout.strip() == "VERIFIED", result.stdout + result.stderr
    assert preview(shangcheng) is not None  # "if settled today" for the current year
    # Idempotent.
    assert seed_settlements_demo(stdout=io.StringIO()) == summary
    assert Settlement.objects.filter(compound=shangcheng).count() == 1
