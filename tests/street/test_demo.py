"""street/demo.py on its own: dashboard created once, rollups and flags from the data."""

from __future__ import annotations

import io

import pytest

from street.demo import seed_street_demo
from street.models import CompoundMonth, Flag, StreetDashboard
from tests.escrow.payouts.helpers import file_payout, prepare

pytestmark = pytest.mark.django_db


def test_seed_street_demo_refreshes_and_flags_idempotently(world, settings, tmp_path):
    prepare(world, settings, tmp_path)
    file_payout(world, amount_fen=30_000_00)
    file_payout(world, amount_fen=30_000_00)  # split under the ¥50,000 threshold
    out = io.StringIO()
    result = seed_street_demo(stdout=out, office_name=world.office.name, slug="fushan-test")
    assert result["slug"] == "fushan-test"
    assert result["flags"].get("split_payouts") == 1
    assert "/street/fushan-test/" in out.getvalue()
    rows, flags = CompoundMonth.objects.count(), Flag.objects.count()
    again = seed_street_demo(stdout=io.StringIO(), office_name=world.office.name, slug="ignored")
    assert again["slug"] == "fushan-test"
    assert StreetDashboard.objects.count() == 1
    assert CompoundMonth.objects.count() == rows
    assert Flag.objects.count() == flags


def test_no_office_no_work(db):
    out = io.StringIO()
    assert seed_street_demo(stdout=out, office_name="没有这个街道") == {}
    assert "nothing to do" in out.getvalue()
