"""Contract renewal against the settlement's recommendation, and the 90-day warning."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Notification
from common.errors import ApplicationError, PermissionDeniedError
from communities.models import ServiceContract
from settlements import services
from settlements.models import RenewalDecision
from settlements.selectors import contract_history
from tests.settlements.helpers import settled_world
from tests.settlements.test_settlement import run

pytestmark = pytest.mark.django_db
LOW = ["55.00", "58.00", "60.00", "59.00"]  # mean 58.00 → below 60: renewal not recommended


def test_not_recommended_renewal_needs_the_owners_decision(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks, scores=LOW)
    settlement = run(django_capture_on_commit_callbacks, world)
    assert settlement.figures["figures"]["renewal_recommended"] is False
    assert settlement.figures["figures"]["release_rate"] == 50
    history = contract_history(world.a)
    assert history[0]["recommended"] is False and history[0]["years"][0]["score"] == "58.00"

    start = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ApplicationError) as err:
        services.contract_renew(compound=world.a, actor=world.official, start_date=start, fee_rate_fen=120)
    assert "resolution_number" in err.value.extra["fields"]
    with pytest.raises(ApplicationError) as err:
        services.contract_renew(
            compound=world.a,
            actor=world.official,
            start_date=start,
            fee_rate_fen=120,
            resolution_number="业主大会2026-3",
        )
    assert "resolution_date" in err.value.extra["fields"]
    assert ServiceContract.objects.filter(compound=world.a).count() == 1
    with pytest.raises(PermissionDeniedError):
        services.contract_renew(compound=world.a, actor=world.staff, start_date=start, fee_rate_fen=120)

    renewed = services.contract_renew(
        compound=world.a,
        actor=world.official,
        start_date=start,
        fee_rate_fen=125,
        resolution_number="业主大会2026-3",
        resolution_date=timezone.localdate(),
    )
    assert renewed.company == world.company and renewed.fee_rate_fen == 125
    assert RenewalDecision.objects.get(settlement=settlement).resolution_number == "业主大会2026-3"


def test_contract_ending_within_90_days_warns_once(world):
    contract = ServiceContract.objects.get(compound=world.a, status="active")
    ServiceContract.objects.filter(pk=contract.pk).update(
        end_date=timezone.localdate() + dt.timedelta(days=60)
    )
    assert services.contracts_warn_ending() == [contract.pk]
    assert services.contracts_warn_ending() == []
    kinds = Notification.objects.filter(kind="contract.ending").values_list("user_id", flat=True)
    assert {world.committee.pk, world.official.pk} <= set(kinds)
    assert world.staff.pk not in set(kinds)
