"""Races with real connections on PostgreSQL (invariants 4 and 6): one transition per step
and one posting under 20 concurrent sign/pay calls; concurrent submissions never hold
more than is available. Each thread has its own connection and closes it at the end."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from common.errors import ApplicationError, ConflictError, PermissionDeniedError
from communities import services as community_services
from communities.models import AuditEvent
from communities.testing import make_user
from escrow.errors import InsufficientFundsError
from escrow.ledger.verification import ledger_verify
from escrow.models import EntryKind, JournalEntry, PayoutRequest, PayoutSignature, PayoutStatus
from escrow.payouts import services
from tests.escrow.payouts.helpers import SMALL_FEN, approved_budget, file_payout, fresh, prepare

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(postgres_only, transactional_db, world, settings, tmp_path):
    return prepare(world, settings, tmp_path, balance_fen=SMALL_FEN)


def race(calls) -> list[tuple[str, object]]:
    """Run every call at once (a barrier releases them together); ('ok', result) or
    ('error', exception) per call, in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", call())
        except Exception as exc:
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _errors(results) -> list[Exception]:
    return [value for kind, value in results if kind == "error"]


def _oks(results) -> list:
    return [value for kind, value in results if kind == "ok"]


def _transitions(payout, before: str, after: str) -> int:
    return AuditEvent.objects.filter(
        object_type="escrow.PayoutRequest",
        object_id=str(payout.pk),
        before__status=before,
        after__status=after,
    ).count()


def _people(world, role: str, n: int) -> list:
    people = []
    for i in range(n):
        person = make_user(name=f"{role}{i}")
        if role == "committee_member":
            community_services.membership_create(user=person, role=role, compound=world.a, actor=None)
        else:
            community_services.membership_create(
                user=person, role=role, community=world.community, actor=None
            )
        people.append(person)
    return people


def test_twenty_racing_signers_and_payers_make_one_transition_per_step_and_one_posting(pg):
    committee = [pg.committee, pg.committee2, *_people(pg, "committee_member", 18)]
    officials = [pg.official, *_people(pg, "community_official", 19)]
    payout = file_payout(pg)
    pk = payout.pk

    def approve_as(user):
        return lambda: (
            services.payout_approve(
                payout=PayoutRequest.objects.get(pk=pk), actor=user, second_factor=fresh()
            ).status
        )

    def pay_as(user, reference):
        return lambda: (
            services.payout_pay(
                payout=PayoutRequest.objects.get(pk=pk),
                actor=user,
                bank_reference=reference,
                payment_date=timezone.localdate(),
                second_factor=fresh(),
            ).status
        )

    # Committee review: twenty members at once; two signatures complete the step.
    results = race([approve_as(user) for user in committee])
    assert len(_oks(results)) == 2
    assert all(isinstance(e, PermissionDeniedError | ConflictError) for e in _errors(results)), _errors(
        results
    )
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REVIEWED
    assert PayoutSignature.objects.filter(request=payout, step="review").count() == 2
    assert _transitions(payout, "submitted", "reviewed") == 1

    # Community recheck: twenty officials at once; one signature completes it.
    results = race([approve_as(user) for user in officials])
    assert _oks(results) == [PayoutStatus.RECHECKED]
    assert all(isinstance(e, ConflictError) for e in _errors(results)), _errors(results)
    assert PayoutSignature.objects.filter(request=payout, step="recheck").count() == 1
    assert _transitions(payout, "reviewed", "rechecked") == 1

    # Approve and pay racing: ten more approvals, ten payers with their own references.
    payers = [pg.chair, *officials[:9]]
    calls = [approve_as(user) for user in officials[10:]] + [
        pay_as(user, f"HB-RACE-{i:02d}") for i, user in enumerate(payers)
    ]
    results = race(calls)
    assert _oks(results) == [PayoutStatus.PAID]
    assert all(isinstance(e, ConflictError | services.PayoutError) for e in _errors(results)), _errors(
        results
    )
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert JournalEntry.objects.filter(compound=pg.a, kind=EntryKind.PAYOUT).count() == 1
    assert _transitions(payout, "rechecked", "paid") == 1
    assert PayoutSignature.objects.filter(request=payout).count() == 3

    # Paying twice, twenty times at once.
    results = race([pay_as(user, f"HB-AGAIN-{i:02d}") for i, user in enumerate(officials)])
    assert _oks(results) == []
    assert JournalEntry.objects.filter(compound=pg.a, kind=EntryKind.PAYOUT).count() == 1
    assert services.payout_availability(pg.a).cash == SMALL_FEN - payout.amount_fen
    assert services.payout_availability(pg.a).holds == 0
    assert ledger_verify(pg.a).ok


def _submit_all(drafts, staff):
    return race(
        [
            (
                lambda pk=draft.pk: (
                    services.payout_submit(payout=PayoutRequest.objects.get(pk=pk), actor=staff).amount_fen
                )
            )
            for draft in drafts
        ]
    )


def test_concurrent_submissions_hold_only_what_is_available(pg):
    approved_budget(pg, monthly_fen=2_000_00, expense_account="nc_security")
    available = services.payout_availability(pg.a).available
    assert available == SMALL_FEN - 2_000_00

    # Twelve equal requests of ¥4,000 against ¥18,000: exactly four fit.
    drafts = [file_payout(pg, submit=False, amount_fen=4_000_00) for _ in range(12)]
    results = _submit_all(drafts, pg.staff)
    assert len(_oks(results)) == available // 4_000_00 == 4
    assert all(isinstance(e, InsufficientFundsError) for e in _errors(results)), _errors(results)
    after = services.payout_availability(pg.a)
    assert after.holds == 16_000_00 <= after.cash - after.reserve
    assert PayoutRequest.objects.filter(status=PayoutStatus.SUBMITTED).count() == 4


def test_concurrent_submissions_of_different_amounts_never_overdraw_nor_refuse_what_fits(pg):
    available = services.payout_availability(pg.a).available
    amounts = [7_000_00, 6_500_00, 5_000_00, 4_200_00, 3_100_00, 2_900_00, 1_500_00, 900_00, 600_00, 350_00]
    assert sum(amounts) > available
    drafts = [file_payout(pg, submit=False, amount_fen=a) for a in amounts]
    results = _submit_all(drafts, pg.staff)
    held = sum(_oks(results))
    assert held <= available
    assert services.payout_availability(pg.a).holds == held
    # Holds only grow during the race, so a refused request was refused against at most
    # the final holds: nothing that would still have fit was turned away.
    for draft, (kind, value) in zip(drafts, results, strict=True):
        if kind == "error":
            assert isinstance(value, InsufficientFundsError)
            assert draft.amount_fen > available - held
        else:
            assert value == draft.amount_fen
    assert all(isinstance(e, ApplicationError) for e in _errors(results))
