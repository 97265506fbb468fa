"""The ledger under random sequences of postings (hypothesis stateful testing).

``LedgerMachine`` drives one compound's ledger through the posting service with
payments in, other income, payouts, reversals, replays of an idempotency key (same
content and other content) and batches — including overdraft attempts. A plain
Python ``LedgerModel`` predicts every outcome (which entries are created, which are
replays, which refusal is raised); after every step the invariants check the
database against itself and against the model:

* every entry balanced (debits = credits > 0, at least two lines);
* conservation: all signed lines sum to 0, and cash = the sum of the cash lines;
* each account's cached balance and version = the sum and count of its lines;
* ``ledger_verify`` passes (sequence, hash chain, running balances, chain head);
* escrow cash never negative — an overdraft raises InsufficientFundsError and
  leaves every row as it was;
* on PostgreSQL, the deferred database rules pass as they would at commit.

Extending it (bills, imports, payouts…): subclass ``LedgerMachine`` in your own test
module and add ``@rule`` methods that call your service, then tell the model what
the service should have posted with ``self.expect(requests, call)`` — see
``pay_fee`` for the pattern. The invariants then cover your rules too. Run it with
``run_ledger_machine(YourMachine, compound)``.

On failure hypothesis prints the shortest sequence of steps it found and a
``@reproduce_failure`` blob (``print_blob=True``) that replays it exactly.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from escrow.errors import IdempotencyConflictError, InsufficientFundsError, LedgerError
from escrow.ledger.services import Leg, PostingRequest, credit, debit, ledger_post_batch, ledger_reverse
from escrow.ledger.verification import ledger_verify
from escrow.models import Category, EntryKind, EscrowAccount, JournalEntry, JournalLine, LedgerAccount, Side
from tests.escrow.ledger.helpers import check_deferred_constraints, open_escrow

LEDGER_MACHINE_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    print_blob=True,
    # No "explain" phase: each example is a few hundred queries, and the shrunk
    # steps plus the blob are what one needs to reproduce a failure.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)

INCOME = [
    Category.PARKING_INCOME,
    Category.ADVERTISING_INCOME,
    Category.INTEREST_INCOME,
    Category.OTHER_INCOME,
]
EXPENSES = [
    Category.NC_STAFF,
    Category.NC_CLEANING,
    Category.NC_UTILITIES,
    Category.REPAIRS,
    Category.REFUNDS,
]
DAYS = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2025, 12, 31))
AMOUNTS = st.integers(min_value=1, max_value=2_000_000)  # up to ¥20,000


# --------------------------------------------------------------------------- the model


@dataclass
class ModelEntry:
    sequence: int
    kind: str
    legs: tuple[tuple[str, str, int], ...]
    content: tuple
    key: str | None
    reverses: int | None = None
    reversed_by: int | None = None

    def __repr__(self):  # hypothesis prints drawn entries in a failing example
        return f"<entry #{self.sequence} {self.kind} {self.legs}>"


@dataclass
class LedgerModel:
    """What the ledger should hold: signed balances (debit − credit) by category,
    the entries in sequence order and the idempotency keys posted."""

    balances: dict[str, int] = field(default_factory=dict)
    entries: list[ModelEntry] = field(default_factory=list)
    by_key: dict[str, ModelEntry] = field(default_factory=dict)

    @property
    def cash(self) -> int:
        return self.balances.get(Category.ESCROW_CASH, 0)

    def entry(self, sequence: int) -> ModelEntry:
        return self.entries[sequence - 1]

    @staticmethod
    def content(request: PostingRequest) -> tuple:
        legs = tuple(sorted((leg.category, leg.side, leg.amount) for leg in request.legs))
        reverses = request.reverses.sequence if request.reverses is not None else None
        return (request.kind, request.memo.strip(), request.effective_date, legs, reverses)

    def predict(self, requests: list[PostingRequest]):
        """Either the refusal the service must raise, or per request the sequence of
        the entry it must return and whether that entry is new — checked in the
        service's order: each request's own validity, key conflicts, double
        reversals, then the running cash balance."""
        for request in requests:
            debits = sum(leg.amount for leg in request.legs if leg.side == Side.DEBIT)
            credits = sum(leg.amount for leg in request.legs if leg.side == Side.CREDIT)
            if debits != credits or debits <= 0:
                return LedgerError
            if (
                request.reverses is not None
                and self.entry(request.reverses.sequence).kind == EntryKind.REVERSAL
            ):
                return LedgerError
        outcome: list[tuple[int, bool]] = []
        in_batch: dict[str, tuple[tuple, int]] = {}
        fresh: list[PostingRequest] = []
        next_sequence = len(self.entries) + 1
        for request in requests:
            key, content = request.idempotency_key, self.content(request)
            if key and key in self.by_key:
                if self.by_key[key].content != content:
                    return IdempotencyConflictError
                outcome.append((self.by_key[key].sequence, False))
            elif key and key in in_batch:
                if in_batch[key][0] != content:
                    return IdempotencyConflictError
                outcome.append((in_batch[key][1], False))
            else:
                if key:
                    in_batch[key] = (content, next_sequence)
                outcome.append((next_sequence, True))
                fresh.append(request)
                next_sequence += 1
        reversed_now = [r.reverses.sequence for r in fresh if r.reverses is not None]
        if len(reversed_now) != len(set(reversed_now)) or any(
            self.entry(seq).reversed_by is not None for seq in reversed_now
        ):
            return LedgerError
        cash = self.cash
        for request in fresh:
            cash += sum(
                (leg.amount if leg.side == Side.DEBIT else -leg.amount)
                for leg in request.legs
                if leg.category == Category.ESCROW_CASH
            )
            if cash < 0:
                return InsufficientFundsError
        return outcome

    def apply(self, requests: list[PostingRequest], outcome: list[tuple[int, bool]]) -> None:
        for request, (sequence, created) in zip(requests, outcome, strict=True):
            if not created or sequence <= len(self.entries):
                continue
            legs = tuple((leg.category, leg.side, leg.amount) for leg in request.legs)
            reverses = request.reverses.sequence if request.reverses is not None else None
            entry = ModelEntry(
                sequence=sequence,
                kind=request.kind,
                legs=legs,
                content=self.content(request),
                key=request.idempotency_key,
                reverses=reverses,
            )
            self.entries.append(entry)
            if entry.key:
                self.by_key[entry.key] = entry
            if reverses is not None:
                self.entry(reverses).reversed_by = sequence
            for category, side, amount in legs:
                self.balances[category] = self.balances.get(category, 0) + (
                    amount if side == Side.DEBIT else -amount
                )


# --------------------------------------------------------------------------- the machine


class LedgerMachine(RuleBasedStateMachine):
    """One compound's ledger, from an empty escrow account, per example. Each example
    runs inside a savepoint of the test's transaction and is rolled back after."""

    def __init__(self, compound):
        super().__init__()
        self.compound = compound
        self.savepoint = transaction.savepoint()
        self.keys = itertools.count(1)
        self.model = LedgerModel()
        open_escrow(compound)

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    # ----------------------------------------------------------------- helpers for rules

    def new_key(self) -> str:
        return f"key-{next(self.keys)}"

    def snapshot(self) -> tuple:
        escrow = EscrowAccount.objects.get(compound=self.compound)
        return (
            escrow.entry_count,
            escrow.head_hash,
            JournalLine.objects.filter(compound=self.compound).count(),
            tuple(
                LedgerAccount.objects.filter(compound=self.compound).values_list("pk", "balance", "version")
            ),
        )

    def expect(self, requests: list[PostingRequest], call) -> list:
        """Run ``call()`` (which must post exactly ``requests``, in one transaction) and
        check it did what the model predicts: the same refusal with nothing written,
        or the same entries created or replayed."""
        prediction = self.model.predict(requests)
        # Visible with --hypothesis-show-statistics: how often each outcome was exercised.
        event(f"refused: {prediction.__name__}" if isinstance(prediction, type) else "posted")
        if isinstance(prediction, type):
            before = self.snapshot()
            with pytest.raises(prediction) as exc:
                call()
            # An overdraft is InsufficientFundsError, which is also a LedgerError: be exact.
            assert type(exc.value) is prediction or (
                prediction is LedgerError and not isinstance(exc.value, InsufficientFundsError)
            ), exc.value
            assert self.snapshot() == before, "a refused posting changed the ledger"
            return []
        results = call()
        got = [(r.entry.sequence, r.created) for r in results]
        assert got == prediction, f"posted {got}, expected {prediction}"
        self.model.apply(requests, prediction)
        return results

    def post(self, requests: list[PostingRequest]) -> list:
        def call():
            with transaction.atomic():
                return ledger_post_batch(compound=self.compound, requests=requests, actor=None)

        return self.expect(requests, call)

    # ----------------------------------------------------------------- rules

    @rule(amount=AMOUNTS, on=DAYS, keyed=st.booleans())
    def pay_fee(self, amount, on, keyed):
        """A property fee received (the payments-in services post exactly this)."""
        self.post(
            [
                PostingRequest(
                    kind=EntryKind.FEE_PAYMENT,
                    legs=[debit(Category.ESCROW_CASH, amount), credit(Category.FEE_INCOME, amount)],
                    memo="物业费",
                    effective_date=on,
                    idempotency_key=self.new_key() if keyed else None,
                )
            ]
        )

    @rule(category=st.sampled_from(INCOME), amount=AMOUNTS, on=DAYS)
    def other_income(self, category, amount, on):
        self.post(
            [
                PostingRequest(
                    kind=EntryKind.OTHER_INCOME,
                    legs=[debit(Category.ESCROW_CASH, amount), credit(category, amount)],
                    memo="公共收益",
                    effective_date=on,
                )
            ]
        )

    @rule(
        category=st.sampled_from(EXPENSES),
        how=st.sampled_from(["within", "all", "over"]),
        amount=AMOUNTS,
        on=DAYS,
    )
    def payout(self, category, how, amount, on):
        """Cash out to an expense; "over" is always an overdraft attempt."""
        cash = self.model.cash
        amount = {"within": min(amount, cash) or amount, "all": cash or 1, "over": cash + amount}[how]
        self.post(
            [
                PostingRequest(
                    kind=EntryKind.PAYOUT,
                    legs=[debit(category, amount), credit(Category.ESCROW_CASH, amount)],
                    memo="支出",
                    effective_date=on,
                )
            ]
        )

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data())
    def reverse(self, data):
        """Reverse any entry — including reversals and already-reversed entries, which
        must be refused, and payments whose money is already spent (overdraft)."""
        target = data.draw(st.sampled_from(self.model.entries), label="entry")
        entry = JournalEntry.objects.get(compound=self.compound, sequence=target.sequence)
        legs = [Leg(c, Side.CREDIT if s == Side.DEBIT else Side.DEBIT, a) for c, s, a in target.legs]
        # What ledger_reverse will post; the model only needs its legs and target.
        request = PostingRequest(
            kind=EntryKind.REVERSAL,
            legs=legs,
            memo="冲正",
            effective_date=dt.date(2025, 1, 1),
            reverses=entry,
        )

        def call():
            return [_Result(ledger_reverse(entry=entry, reason="录入错误", actor=None), True)]

        self.expect([request], call)

    @precondition(lambda self: self.model.by_key)
    @rule(data=st.data())
    def replay_same(self, data):
        """The same key and content again: the first entry comes back, nothing new."""
        key = data.draw(st.sampled_from(sorted(self.model.by_key)), label="key")
        self.post([self._request_for(self.model.by_key[key])])

    @precondition(lambda self: self.model.by_key)
    @rule(data=st.data(), extra=st.integers(min_value=1, max_value=100))
    def replay_other_content(self, data, extra):
        """The same key with another amount: a conflict, nothing written."""
        key = data.draw(st.sampled_from(sorted(self.model.by_key)), label="key")
        request = self._request_for(self.model.by_key[key])
        request.legs = [Leg(leg.category, leg.side, leg.amount + extra) for leg in request.legs]
        self.post([request])

    @rule(
        items=st.lists(
            st.tuples(st.sampled_from(["fee", "payout", "replay"]), AMOUNTS, st.booleans()),
            min_size=1,
            max_size=6,
        ),
        on=DAYS,
    )
    def batch(self, items, on):
        """Several postings under one lock, all or nothing (a statement import): fees,
        payouts that may overdraw part-way, keys repeated inside the batch or replayed."""
        requests: list[PostingRequest] = []
        for what, amount, keyed in items:
            if what == "replay" and requests and requests[-1].idempotency_key:
                requests.append(requests[-1])
            elif what == "replay" and self.model.by_key:
                requests.append(self._request_for(self.model.by_key[sorted(self.model.by_key)[0]]))
            elif what == "payout":
                requests.append(
                    PostingRequest(
                        kind=EntryKind.PAYOUT,
                        legs=[debit(Category.REPAIRS, amount), credit(Category.ESCROW_CASH, amount)],
                        memo="维修",
                        effective_date=on,
                    )
                )
            else:
                requests.append(
                    PostingRequest(
                        kind=EntryKind.FEE_PAYMENT,
                        legs=[debit(Category.ESCROW_CASH, amount), credit(Category.FEE_INCOME, amount)],
                        memo="物业费",
                        effective_date=on,
                        idempotency_key=self.new_key() if keyed else None,
                    )
                )
        self.post(requests)

    def _request_for(self, entry: ModelEntry) -> PostingRequest:
        kind, memo, effective_date, legs, _reverses = entry.content
        return PostingRequest(
            kind=kind,
            legs=[Leg(c, s, a) for c, s, a in legs],
            memo=memo,
            effective_date=effective_date,
            idempotency_key=entry.key,
        )

    # ----------------------------------------------------------------- invariants
    # One invariant reads the compound's lines once and checks every property on
    # them; each check fails with a message naming what broke. A subclass may add
    # its own @invariant methods (bills reconcile with payments, and so on).

    @invariant()
    def the_ledger_is_consistent(self):
        lines = list(
            JournalLine.objects.filter(compound=self.compound).values_list(
                "entry_id", "account_id", "side", "amount"
            )
        )
        accounts = list(LedgerAccount.objects.filter(compound=self.compound))
        self.check_every_entry_is_balanced(lines)
        self.check_conservation_and_cached_balances(lines, accounts)
        self.check_the_chain_verifies()
        check_deferred_constraints()  # PostgreSQL: the database's own rules, as at commit

    def check_every_entry_is_balanced(self, lines):
        per_entry: dict[int, list[int]] = {}
        for entry_id, _account_id, side, amount in lines:
            debits_credits_count = per_entry.setdefault(entry_id, [0, 0, 0])
            debits_credits_count[0 if side == Side.DEBIT else 1] += amount
            debits_credits_count[2] += 1
            assert amount > 0, f"a line of entry id {entry_id} is not positive"
        unbalanced = {e: v for e, v in per_entry.items() if v[0] != v[1] or v[0] <= 0 or v[2] < 2}
        assert not unbalanced, f"unbalanced entries (id: [debits, credits, lines]): {unbalanced}"
        assert len(per_entry) == len(self.model.entries), "an entry without lines, or a missing entry"

    def check_conservation_and_cached_balances(self, lines, accounts):
        sums: dict[int, int] = {}
        counts: dict[int, int] = {}
        for _entry_id, account_id, side, amount in lines:
            sums[account_id] = sums.get(account_id, 0) + (amount if side == Side.DEBIT else -amount)
            counts[account_id] = counts.get(account_id, 0) + 1
        assert sum(sums.values()) == 0, "debits and credits over the whole ledger differ"
        for account in accounts:
            assert account.balance == sums.get(account.pk, 0), f"cached balance of {account.code} ≠ its lines"
            assert account.version == counts.get(account.pk, 0), f"version of {account.code} ≠ its line count"
            assert account.balance == self.model.balances.get(account.category, 0), (
                f"{account.code} ≠ the model"
            )
            if account.category == Category.ESCROW_CASH:
                assert account.balance >= 0, "escrow cash went negative"

    def check_the_chain_verifies(self):
        result = ledger_verify(self.compound)
        assert result.ok, result.problems
        assert result.entries == len(self.model.entries)


@dataclass
class _Result:
    """ledger_reverse returns the entry; the machine compares PostingResult-like pairs."""

    entry: JournalEntry
    created: bool


def run_ledger_machine(machine_class, compound, *, machine_settings=LEDGER_MACHINE_SETTINGS) -> None:
    run_state_machine_as_test(lambda: machine_class(compound), settings=machine_settings)


def test_ledger_invariants_hold_under_random_postings(world):
    assert connection.in_atomic_block  # each example's savepoint lives in the test's transaction
    run_ledger_machine(LedgerMachine, world.a)
