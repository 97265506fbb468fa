"""The posting service: what it posts, and everything it refuses — with a clear
message and nothing written (entries, lines, cached balances and chain head unchanged)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from common.money import MAX_AMOUNT_FEN
from escrow.errors import IdempotencyConflictError, InsufficientFundsError, LedgerError
from escrow.ledger.hashing import entry_hash
from escrow.ledger.services import (
    Leg,
    PostingRequest,
    cash_balance,
    credit,
    debit,
    ledger_post,
    ledger_post_batch,
    ledger_reverse,
)
from escrow.ledger.verification import ledger_verify
from escrow.models import GENESIS_HASH, Category, EntryKind, EscrowAccount, JournalEntry, Side
from tests.escrow.ledger.helpers import (
    DAY,
    OPENED_ON,
    check_deferred_constraints,
    open_escrow,
    pay_in,
    pay_out,
)
from tests.escrow.ledger.helpers import snapshot as ledger_snapshot


@pytest.fixture
def compound(world):
    open_escrow(world.a, opening_fen=50_000)
    return world.a


def post(compound, legs, *, kind=EntryKind.OTHER_INCOME, memo="停车费", on=DAY, key=None, reverses=None):
    with transaction.atomic():
        return ledger_post(
            compound=compound,
            kind=kind,
            legs=legs,
            memo=memo,
            effective_date=on,
            actor=None,
            idempotency_key=key,
            reverses=reverses,
        )


# --------------------------------------------------------------------------- what it posts


def test_it_opens_the_account_with_an_opening_balance_entry(compound):
    entry = JournalEntry.objects.get(compound=compound)
    assert (entry.sequence, entry.kind, entry.prev_hash) == (1, EntryKind.OPENING_BALANCE, GENESIS_HASH)
    assert cash_balance(compound) == 50_000
    escrow = EscrowAccount.objects.get(compound=compound)
    assert escrow.account_number_masked == "6222 **** 0123"
    assert (escrow.entry_count, escrow.head_hash) == (1, entry.hash)


def test_it_posts_a_payment_and_extends_the_chain(compound, world):
    first = JournalEntry.objects.get(compound=compound, sequence=1)
    result = pay_in(compound, 12_345, key="bank:0001", actor=world.staff)
    entry = result.entry
    assert result.created
    assert (entry.sequence, entry.prev_hash, entry.created_by) == (2, first.hash, world.staff)
    lines = sorted((line.account.code, line.side, line.amount) for line in entry.lines.all())
    assert lines == [("1001", Side.DEBIT, 12_345), ("4001", Side.CREDIT, 12_345)]
    assert entry.hash == entry_hash(
        compound_id=compound.pk,
        sequence=2,
        kind=EntryKind.FEE_PAYMENT,
        memo="物业费",
        effective_date=DAY,
        reverses_sequence=None,
        lines=lines,
        prev_hash=first.hash,
    )
    assert cash_balance(compound) == 62_345
    check_deferred_constraints()
    assert ledger_verify(compound).ok


def test_it_returns_the_first_entry_for_a_replayed_key(compound):
    first = pay_in(compound, 1_000, key="bank:0002")
    before = ledger_snapshot(compound)
    again = pay_in(compound, 1_000, key="bank:0002")
    assert (again.entry.pk, again.created) == (first.entry.pk, False)
    assert ledger_snapshot(compound) == before


def test_it_refuses_a_replayed_key_with_other_content(compound):
    pay_in(compound, 1_000, key="bank:0003")
    before = ledger_snapshot(compound)
    with pytest.raises(IdempotencyConflictError, match="bank:0003") as exc:
        pay_in(compound, 1_001, key="bank:0003")
    assert exc.value.status_code == 409
    assert exc.value.extra["entry"] == 2
    assert ledger_snapshot(compound) == before


def test_keys_are_per_compound(compound, world):
    open_escrow(world.b)
    a = pay_in(compound, 1_000, key="bank:0004")
    b = pay_in(world.b, 2_000, key="bank:0004")
    assert a.created and b.created and a.entry.compound_id != b.entry.compound_id


# --------------------------------------------------------------------------- refusals


REFUSALS = {
    "unbalanced": ([debit(Category.ESCROW_CASH, 100), credit(Category.PARKING_INCOME, 99)], {}, "Unbalanced"),
    "one leg": ([debit(Category.ESCROW_CASH, 100)], {}, "at least one debit and one credit"),
    "zero": (
        [debit(Category.ESCROW_CASH, 0), credit(Category.PARKING_INCOME, 0)],
        {},
        "not a valid line amount",
    ),
    "negative": (
        [debit(Category.ESCROW_CASH, -100), credit(Category.PARKING_INCOME, -100)],
        {},
        "not a valid line amount",
    ),
    "above the ceiling": (
        [
            debit(Category.ESCROW_CASH, MAX_AMOUNT_FEN + 1),
            credit(Category.PARKING_INCOME, MAX_AMOUNT_FEN + 1),
        ],
        {},
        "not a valid line amount",
    ),
    "float": ([debit(Category.ESCROW_CASH, 1.5), credit(Category.PARKING_INCOME, 1.5)], {}, "integer fen"),
    "bool": ([debit(Category.ESCROW_CASH, True), credit(Category.PARKING_INCOME, True)], {}, "integer fen"),
    "unknown category": (
        [debit(Category.ESCROW_CASH, 100), credit("lottery_winnings", 100)],
        {},
        "No ledger account for category “lottery_winnings”",
    ),
    "unknown side": (
        [Leg(Category.ESCROW_CASH, "X", 100), credit(Category.PARKING_INCOME, 100)],
        {},
        "Unknown side",
    ),
    "before opening": (
        [debit(Category.ESCROW_CASH, 100), credit(Category.PARKING_INCOME, 100)],
        {"on": OPENED_ON - dt.timedelta(days=1)},
        "before the escrow account opened",
    ),
    "future date": (
        [debit(Category.ESCROW_CASH, 100), credit(Category.PARKING_INCOME, 100)],
        {"on": "tomorrow"},
        "in the future",
    ),
    "datetime as date": (
        [debit(Category.ESCROW_CASH, 100), credit(Category.PARKING_INCOME, 100)],
        {"on": dt.datetime(2025, 6, 1, 12, 0)},
        "not a date",
    ),
    "no memo": (
        [debit(Category.ESCROW_CASH, 100), credit(Category.PARKING_INCOME, 100)],
        {"memo": "  "},
        "memo",
    ),
    "long memo": (
        [debit(Category.ESCROW_CASH, 100), credit(Category.PARKING_INCOME, 100)],
        {"memo": "x" * 201},
        "at most 200",
    ),
    "unknown kind": (
        [debit(Category.ESCROW_CASH, 100), credit(Category.PARKING_INCOME, 100)],
        {"kind": "gift"},
        "Unknown entry kind",
    ),
}


@pytest.mark.parametrize("case", REFUSALS.keys())
def test_it_refuses_a_bad_posting_and_writes_nothing(compound, case):
    legs, kwargs, message = REFUSALS[case]
    if kwargs.get("on") == "tomorrow":
        kwargs = {**kwargs, "on": timezone.localdate() + dt.timedelta(days=1)}
    before = ledger_snapshot(compound)
    with pytest.raises(LedgerError, match=message) as exc:
        post(compound, legs, **kwargs)
    assert exc.value.status_code == 400
    assert ledger_snapshot(compound) == before


def test_it_refuses_an_overdraft_and_writes_nothing(compound):
    before = ledger_snapshot(compound)
    with pytest.raises(InsufficientFundsError, match=r"overdraw the escrow account by ¥0\.01") as exc:
        pay_out(compound, 50_001)
    assert exc.value.status_code == 409
    assert exc.value.extra["shortfall_fen"] == 1
    assert ledger_snapshot(compound) == before
    pay_out(compound, 50_000)  # exactly the balance is fine
    assert cash_balance(compound) == 0


def test_a_batch_is_all_or_nothing_and_names_the_row(compound):
    before = ledger_snapshot(compound)
    requests = [
        PostingRequest(
            kind=EntryKind.PAYOUT,
            legs=[debit(Category.REPAIRS, 30_000), credit(Category.ESCROW_CASH, 30_000)],
            memo="维修",
            effective_date=DAY,
        ),
        PostingRequest(
            kind=EntryKind.PAYOUT,
            legs=[debit(Category.REPAIRS, 30_000), credit(Category.ESCROW_CASH, 30_000)],
            memo="又一次维修",
            effective_date=DAY,
        ),
    ]
    with pytest.raises(InsufficientFundsError, match="entry 2") as exc, transaction.atomic():
        ledger_post_batch(compound=compound, requests=requests, actor=None)
    assert exc.value.extra["row"] == 2
    assert ledger_snapshot(compound) == before


def test_a_batch_refuses_one_key_with_two_contents(compound):
    requests = [
        PostingRequest(
            kind=EntryKind.FEE_PAYMENT,
            legs=[debit(Category.ESCROW_CASH, amount), credit(Category.FEE_INCOME, amount)],
            memo="物业费",
            effective_date=DAY,
            idempotency_key="row-1",
        )
        for amount in (100, 200)
    ]
    before = ledger_snapshot(compound)
    with pytest.raises(IdempotencyConflictError, match="twice in this batch"), transaction.atomic():
        ledger_post_batch(compound=compound, requests=requests, actor=None)
    assert ledger_snapshot(compound) == before


def test_a_batch_posts_one_key_twice_once(compound):
    request = PostingRequest(
        kind=EntryKind.FEE_PAYMENT,
        legs=[debit(Category.ESCROW_CASH, 100), credit(Category.FEE_INCOME, 100)],
        memo="物业费",
        effective_date=DAY,
        idempotency_key="row-1",
    )
    with transaction.atomic():
        first, second = ledger_post_batch(compound=compound, requests=[request, request], actor=None)
    assert first.created and not second.created and first.entry.pk == second.entry.pk
    assert JournalEntry.objects.filter(compound=compound).count() == 2


def test_it_reverses_an_entry_once(compound, world):
    payment = pay_in(compound, 8_000).entry
    reversal = ledger_reverse(entry=payment, reason="重复录入", actor=world.official)
    assert (reversal.kind, reversal.reverses, reversal.sequence) == (EntryKind.REVERSAL, payment, 3)
    assert cash_balance(compound) == 50_000
    before = ledger_snapshot(compound)
    with pytest.raises(LedgerError, match="already been reversed"):
        ledger_reverse(entry=payment, reason="again", actor=world.official)
    with pytest.raises(LedgerError, match="A reversal cannot be reversed"):
        ledger_reverse(entry=reversal, reason="undo", actor=world.official)
    assert ledger_snapshot(compound) == before
    assert ledger_verify(compound).ok


def test_a_reversal_needs_a_reason(compound):
    payment = pay_in(compound, 100).entry
    before = ledger_snapshot(compound)
    with pytest.raises(LedgerError, match="reason"):
        ledger_reverse(entry=payment, reason=" ", actor=None)
    assert ledger_snapshot(compound) == before


def test_it_refuses_a_reversal_that_would_overdraw(compound):
    payment = pay_in(compound, 10_000).entry
    pay_out(compound, 60_000)
    before = ledger_snapshot(compound)
    with pytest.raises(InsufficientFundsError):
        ledger_reverse(entry=payment, reason="退款", actor=None)
    assert ledger_snapshot(compound) == before


def test_it_refuses_to_reverse_another_compounds_entry(compound, world):
    open_escrow(world.b, opening_fen=100)
    other = JournalEntry.objects.get(compound=world.b)
    before = ledger_snapshot(compound)
    with pytest.raises(LedgerError, match="another compound"):
        post(compound, [debit(Category.OWNERS_FUND, 100), credit(Category.ESCROW_CASH, 100)], reverses=other)
    assert ledger_snapshot(compound) == before


def test_it_refuses_a_compound_without_an_escrow_account(world):
    with pytest.raises(LedgerError, match="no escrow account"):
        pay_in(world.b, 100)


def test_it_refuses_to_open_a_second_escrow_account(compound):
    with pytest.raises(LedgerError, match="already has an escrow account"):
        open_escrow(compound)


def test_it_must_run_inside_the_callers_transaction(compound):
    conn = transaction.get_connection()
    # The test's own transaction is an atomic block too; pretend it is not.
    saved = conn.in_atomic_block
    conn.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="inside the calling service's transaction"):
            ledger_post(
                compound=compound,
                kind=EntryKind.FEE_PAYMENT,
                legs=[debit(Category.ESCROW_CASH, 1), credit(Category.FEE_INCOME, 1)],
                memo="x",
                effective_date=DAY,
                actor=None,
            )
    finally:
        conn.in_atomic_block = saved


def test_memos_the_service_writes_do_not_follow_the_request_language(world):
    """The memo is hashed: a reversal posted from a Chinese page reads (and hashes) the
    same as one posted from an English page — the site's default language (tests: en)."""
    from django.utils import translation

    from escrow.ledger.services import ledger_reverse
    from tests.escrow.ledger.helpers import open_escrow, pay_in

    open_escrow(world.a, opening_fen=10_00)
    paid = pay_in(world.a, 5_00)
    with translation.override("zh-hans"):
        reversal = ledger_reverse(entry=paid.entry, reason="重复录入", actor=None)
    assert reversal.memo == f"Reversal of #{paid.entry.sequence}: 重复录入"
    assert JournalEntry.objects.get(compound=world.a, sequence=1).memo == "Opening balance"
