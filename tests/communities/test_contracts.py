"""Service contracts: one active per compound, and a handover leaves no gap (无缝衔接)."""

from __future__ import annotations

import datetime as dt
import itertools

from communities import selectors, services
from communities.models import AuditEvent, ServiceContract
from communities.permissions import compounds_visible_to, standing_in


def test_handover_ends_the_old_contract_the_day_before_the_new_one_starts(world):
    old = selectors.active_contract(world.a)
    new = services.contract_handover(
        compound=world.a,
        company=world.other_company,
        start_date=dt.date(2026, 12, 25),
        end_date=dt.date(2029, 12, 24),
        fee_rate_fen=130,
        actor=world.street_admin,
    )
    old.refresh_from_db()
    assert old.status == ServiceContract.Status.ENDED
    assert old.end_date == dt.date(2026, 12, 24)
    assert old.end_date + dt.timedelta(days=1) == new.start_date  # no gap, no overlap
    assert new.status == ServiceContract.Status.ACTIVE
    assert list(ServiceContract.objects.filter(compound=world.a, status="active")) == [new]
    assert selectors.active_contract(world.a) == new
    assert ServiceContract.objects.filter(compound=world.a).count() == 2


def test_a_second_handover_chains_without_gaps(world):
    services.contract_handover(
        compound=world.a,
        company=world.other_company,
        start_date=dt.date(2026, 6, 1),
        fee_rate_fen=130,
        actor=None,
    )
    services.contract_handover(
        compound=world.a, company=world.company, start_date=dt.date(2027, 6, 1), fee_rate_fen=140, actor=None
    )
    contracts = list(ServiceContract.objects.filter(compound=world.a).order_by("start_date"))
    assert [c.status for c in contracts] == ["ended", "ended", "active"]
    for earlier, later in itertools.pairwise(contracts):
        assert earlier.end_date + dt.timedelta(days=1) == later.start_date


def test_handover_is_audited_as_an_end_and_a_start(world):
    new = services.contract_handover(
        compound=world.a,
        company=world.other_company,
        start_date=dt.date(2026, 6, 1),
        fee_rate_fen=130,
        actor=None,
    )
    ended = AuditEvent.objects.get(action="contract.end", compound=world.a)
    assert ended.before == {"status": "active", "end_date": None}
    assert ended.after == {"status": "ended", "end_date": "2026-05-31"}
    started = AuditEvent.objects.get(action="contract.handover", compound=world.a)
    assert started.object_id == str(new.pk)
    assert started.after["fee_rate_fen"] == 130


def test_the_old_company_loses_its_company_wide_reach_after_a_handover(world):
    assert world.a in compounds_visible_to(world.manager)
    services.contract_handover(
        compound=world.a,
        company=world.other_company,
        start_date=dt.date(2026, 6, 1),
        fee_rate_fen=130,
        actor=None,
    )
    assert world.a not in compounds_visible_to(world.manager)
    assert "company_manager" not in standing_in(world.manager, world.a).roles
