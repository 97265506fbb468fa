"""Confirmation (2 committee + 1 official, step-up, never the company), the owners' fund
entry, the release payout through escrow's workflow, and the ledger's invariants after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.stepup import SecondFactor, StepUpRequiredError
from common.errors import ApplicationError, ConflictError, PermissionDeniedError
from escrow.ledger.verification import ledger_verify
from escrow.models import Category, EntryKind, LedgerAccount, PayoutCategory, PayoutRequest, PayoutStatus
from escrow.payouts import services as payouts
from settlements import services
from settlements.models import Settlement, SettlementStatus
from settlements.services.confirm import release_differences
from tests.settlements.helpers import fresh, settled_world
from tests.settlements.test_settlement import run

pytestmark = pytest.mark.django_db


def confirm(capture, settlement, who):
    with capture(execute=True):
        return services.settlement_confirm(
            settlement=settlement, actor=who, second_factor=fresh(), digest=settlement.digest
        )


def confirmed(world, capture):
    settled_world(world, capture)
    settlement = run(capture, world)
    for who in (world.committee, world.committee2, world.official):
        confirm(capture, settlement, who)
    settlement.refresh_from_db()
    return settlement


def test_three_confirmations_file_the_release_and_move_the_kept_part(
    world, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    settled_world(world, capture)
    settlement = run(capture, world)
    fund_before = LedgerAccount.objects.get(compound=world.a, category=Category.OWNERS_FUND).balance
    confirm(capture, settlement, world.committee)
    confirm(capture, settlement, world.committee2)
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.READY  # the community has not confirmed yet
    assert settlement.payout is None and settlement.owners_fund_entry is None
    confirm(capture, settlement, world.official)
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.RELEASED

    entry = settlement.owners_fund_entry
    assert entry.kind == EntryKind.OWNERS_FUND_TRANSFER
    lines = sorted((line.account.category, line.side, line.amount) for line in entry.lines.all())
    assert lines == [(Category.FEE_INCOME, "D", 1_117_116), (Category.OWNERS_FUND, "C", 1_117_116)]
    fund_after = LedgerAccount.objects.get(compound=world.a, category=Category.OWNERS_FUND).balance
    assert fund_after - fund_before == -1_117_116  # credit-normal: a credit lowers debit − credit

    payout = settlement.payout
    assert payout.category == PayoutCategory.SETTLEMENT_RELEASE
    assert payout.amount_fen == 21_225_187
    assert payout.payee_company == world.company
    assert payout.status == PayoutStatus.SUBMITTED
    assert release_differences(settlement) == []
    kinds = set(Notification.objects.filter(user=world.committee).values_list("kind", flat=True))
    assert {"settlement.ready", "settlement.confirmed", "settlement.released"} <= kinds

    # The release cannot be edited to a different amount: it was filed submitted.
    with pytest.raises(ApplicationError):
        payouts.payout_update(payout=payout, actor=payout.applicant, amount_fen=30_000_000)
    payout.refresh_from_db()
    assert payout.amount_fen == 21_225_187

    # Then escrow's own workflow: review → recheck → pay; the ledger keeps every invariant.
    with capture(execute=True):
        payouts.payout_approve(payout=payout, actor=world.committee, second_factor=fresh())
        payouts.payout_approve(payout=payout, actor=world.committee2, second_factor=fresh())
        payouts.payout_approve(payout=payout, actor=world.official, second_factor=fresh())
        payouts.payout_pay(
            payout=payout,
            actor=world.chair,
            bank_reference="SETTLE-2025",
            payment_date=timezone.localdate(),
            second_factor=fresh(),
        )
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert ledger_verify(world.a).problems == []

    # Anyone follows the release from the settlement to its payment in the ledger.
    page = Client().get(reverse("settlements:detail", args=[world.a.slug, settlement.year])).content.decode()
    trail = reverse("escrow:ledger-payout-trail", args=[world.a.slug, payout.pk])
    assert f'href="{trail}"' in page
    assert Client().get(trail).status_code == 200

    # Running the release again does nothing more (exactly one payout).
    assert services.settlement_release(settlement.pk) is None


def test_company_never_confirms(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks)
    settlement = run(django_capture_on_commit_callbacks, world)
    for who in (world.staff, world.manager):
        with pytest.raises(PermissionDeniedError) as err:
            services.settlement_confirm(
                settlement=settlement, actor=who, second_factor=fresh(), digest=settlement.digest
            )
        assert "confirmer" in err.value.extra["fields"]
    assert not settlement.confirmations.exists()


def test_confirming_needs_step_up_the_digest_and_once_per_side(world, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    settled_world(world, capture)
    settlement = run(capture, world)
    with pytest.raises(StepUpRequiredError):
        services.settlement_confirm(
            settlement=settlement, actor=world.committee, second_factor=None, digest=settlement.digest
        )
    stale = SecondFactor("totp", timezone.now() - dt.timedelta(minutes=6))
    with pytest.raises(StepUpRequiredError):
        services.settlement_confirm(
            settlement=settlement, actor=world.committee, second_factor=stale, digest=settlement.digest
        )
    with pytest.raises(ApplicationError) as err:
        services.settlement_confirm(
            settlement=settlement, actor=world.committee, second_factor=fresh(), digest="0" * 64
        )
    assert "digest" in err.value.extra["fields"]
    confirm(capture, settlement, world.committee)
    with pytest.raises(ConflictError):
        confirm(capture, settlement, world.committee)
    confirm(capture, settlement, world.official)
    with pytest.raises(PermissionDeniedError) as err:
        confirm(capture, settlement, world.official)
    assert "already confirmed" in str(err.value) or "confirmer" in err.value.extra["fields"]
    assert settlement.confirmations.count() == 2


def test_negative_distributable_confirms_without_moving_money(world, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    settled_world(world, capture, fees=[16_000_000] * 4)
    settlement = run(capture, world)
    for who in (world.committee, world.committee2, world.official):
        confirm(capture, settlement, who)
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.RELEASED
    assert settlement.payout is None and settlement.owners_fund_entry is None
    assert ledger_verify(world.a).problems == []


def test_a_release_larger_than_the_distributable_is_refused(world, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    settled_world(world, capture)
    settlement = run(capture, world)
    Settlement.objects.filter(pk=settlement.pk).update(
        release_fen=22_342_304, kept_fen=0
    )  # behind the services
    settlement.refresh_from_db()
    with pytest.raises(ApplicationError) as err:
        services.settlement_confirm(
            settlement=settlement, actor=world.committee, second_factor=fresh(), digest=settlement.digest
        )
    assert "release" in err.value.extra["fields"]
    assert not settlement.confirmations.exists()


def test_release_resumed_after_a_kill_finds_its_payout(world, django_capture_on_commit_callbacks):
    """Killed after escrow committed the payout but before the settlement named it: the
    next run (the sweep) finds the payout by its marker and files nothing new."""
    capture = django_capture_on_commit_callbacks
    settled_world(world, capture)
    settlement = run(capture, world)
    for who in (world.committee, world.committee2):
        confirm(capture, settlement, who)
    # The last confirmation's after-commit release is not run (as if the worker died).
    services.settlement_confirm(
        settlement=settlement, actor=world.official, second_factor=fresh(), digest=settlement.digest
    )
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.CONFIRMED
    released = services.settlement_release(settlement.pk)
    payout = released.payout
    Settlement.objects.filter(pk=settlement.pk).update(
        status=SettlementStatus.CONFIRMED, payout=None, claimed_at=None
    )
    with capture(execute=True):
        services.settlements_sweep()
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.RELEASED and settlement.payout == payout
    assert PayoutRequest.objects.filter(category=PayoutCategory.SETTLEMENT_RELEASE).count() == 1
