"""Concurrency on real PostgreSQL: threads with their own connections, released
together by a barrier, each posting in its own committed transaction.

The compound's escrow-account row is the lock (SELECT … FOR UPDATE): postings in one
compound are serialised — so one idempotency key posts once and sequence numbers
have no gaps — while another compound's postings never wait for it.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from escrow.errors import InsufficientFundsError
from escrow.ledger.services import cash_balance, credit, debit, ledger_post
from escrow.ledger.verification import ledger_verify
from escrow.models import Category, EntryKind, JournalEntry, LedgerAccount
from tests.escrow.ledger.helpers import DAY, open_escrow

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 30  # seconds: only ever reached when something is broken


@pytest.fixture
def ledgers(postgres_only, world):
    open_escrow(world.a, opening_fen=10_000)
    open_escrow(world.b, opening_fen=10_000)
    return world


def service_pay_in(compound, fen: int, *, key: str | None = None):
    """What a payments-in service does: its own durable transaction around the posting."""
    with transaction.atomic(durable=True):
        return ledger_post(
            compound=compound,
            kind=EntryKind.FEE_PAYMENT,
            legs=[debit(Category.ESCROW_CASH, fen), credit(Category.FEE_INCOME, fen)],
            memo="物业费",
            effective_date=DAY,
            actor=None,
            idempotency_key=key,
        )


def run_together(n: int, work) -> tuple[list, list]:
    """Call ``work(i)`` in ``n`` threads released at once; return results and errors."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = [None] * n

    def thread(i):
        try:
            barrier.wait(timeout=WAIT)
            results[i] = work(i)
        except BaseException as exc:
            errors[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT * 2)
    assert not any(t.is_alive() for t in threads), "a posting thread hung"
    return results, errors


def test_ten_calls_with_one_key_post_once(ledgers):
    a = ledgers.a
    results, errors = run_together(10, lambda i: service_pay_in(a, 5_000, key="wxpay:4200001234"))
    assert errors == [None] * 10
    assert sum(r.created for r in results) == 1
    assert len({r.entry.pk for r in results}) == 1
    assert JournalEntry.objects.filter(compound=a, idempotency_key="wxpay:4200001234").count() == 1
    assert cash_balance(a) == 15_000
    assert ledger_verify(a).ok


def test_concurrent_payments_into_one_compound_all_post_in_sequence(ledgers):
    a = ledgers.a
    n = 20
    results, errors = run_together(n, lambda i: service_pay_in(a, 100 * (i + 1), key=f"bank:{i}"))
    assert errors == [None] * n
    assert all(r.created for r in results)
    sequences = sorted(JournalEntry.objects.filter(compound=a).values_list("sequence", flat=True))
    assert sequences == list(range(1, n + 2))  # the opening balance, then the 20 payments
    paid = sum(100 * (i + 1) for i in range(n))
    balances = dict(LedgerAccount.objects.filter(compound=a).values_list("category", "balance"))
    assert balances[Category.ESCROW_CASH] == 10_000 + paid
    assert balances[Category.FEE_INCOME] == -paid
    result = ledger_verify(a)
    assert result.ok, result.problems
    assert result.entries == n + 1


def test_concurrent_payouts_never_overdraw(ledgers):
    a = ledgers.a

    def payout(i):
        with transaction.atomic(durable=True):
            return ledger_post(
                compound=a,
                kind=EntryKind.PAYOUT,
                legs=[debit(Category.REPAIRS, 6_000), credit(Category.ESCROW_CASH, 6_000)],
                memo=f"维修{i}",
                effective_date=DAY,
                actor=None,
            )

    results, errors = run_together(8, payout)
    assert sum(r is not None for r in results) == 1
    assert sum(isinstance(e, InsufficientFundsError) for e in errors) == 7
    assert cash_balance(a) == 4_000
    assert ledger_verify(a).ok


def backend_waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row) and row[0] == "Lock"


def test_two_compounds_do_not_wait_on_each_other(ledgers):
    """Thread A posts to compound A and keeps its transaction — and so A's lock —
    open. Meanwhile thread B posts to compound B and finishes, and thread A2, posting
    to compound A, is seen waiting on the lock. Only then does A commit."""
    a, b = ledgers.a, ledgers.b
    a_locked, b_done, a2_started, a2_done = (threading.Event() for _ in range(4))
    seen: dict = {}

    def hold_a():
        try:
            with transaction.atomic(durable=True):
                ledger_post(
                    compound=a,
                    kind=EntryKind.FEE_PAYMENT,
                    legs=[debit(Category.ESCROW_CASH, 100), credit(Category.FEE_INCOME, 100)],
                    memo="A holds its lock",
                    effective_date=DAY,
                    actor=None,
                )
                a_locked.set()
                seen["b finished while A held its lock"] = b_done.wait(timeout=WAIT)
                assert a2_started.wait(timeout=WAIT)
                deadline = time.monotonic() + WAIT
                while not backend_waits_on_a_lock(seen["a2 pid"]) and time.monotonic() < deadline:
                    time.sleep(0.01)
                seen["A2 waited on A's lock"] = backend_waits_on_a_lock(seen["a2 pid"])
                seen["A2 done before A committed"] = a2_done.is_set()
        finally:
            connections.close_all()

    def post_b():
        try:
            assert a_locked.wait(timeout=WAIT)
            seen["b"] = service_pay_in(b, 200).entry.sequence
            b_done.set()
        finally:
            connections.close_all()

    def post_a2():
        try:
            assert a_locked.wait(timeout=WAIT)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                seen["a2 pid"] = cursor.fetchone()[0]
            a2_started.set()
            seen["a2"] = service_pay_in(a, 300).entry.sequence
            a2_done.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=f) for f in (hold_a, post_b, post_a2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT * 3)
    assert not any(t.is_alive() for t in threads)
    assert seen["b finished while A held its lock"] is True
    assert seen["A2 waited on A's lock"] is True
    assert seen["A2 done before A committed"] is False
    assert (seen["b"], seen["a2"]) == (2, 3)  # A2 came after A's held posting (#2)
    assert ledger_verify(a).ok and ledger_verify(b).ok
