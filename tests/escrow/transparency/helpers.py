"""Helpers of the transparency tests: quarters filled, built and published; a resident's
ledger with one row of each kind and the hand count its filters are checked against."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from common.periods import previous_quarter, quarter_bounds
from escrow.fees.services.payments import payment_record
from escrow.ledger.services import credit, debit, ledger_post, ledger_reverse
from escrow.models import (
    Category,
    Disclosure,
    DisclosureStatus,
    EntryKind,
    JournalEntry,
    JournalLine,
    PaymentMethod,
)
from escrow.transparency import services as svc
from tests.escrow.ledger.helpers import open_escrow, pay_in, pay_out

# Who reads the journal of compound A (the resident's ledger and its exports).
ENTRY_READERS = ["resident", "company_staff", "committee_member", "community_official", "street_admin"]


# --------------------------------------------------------------------------- quarters


@dataclass
class Quarter:
    year: int
    quarter: int
    start: dt.date
    end: dt.date

    @property
    def kwargs(self) -> dict:
        return {"year": self.year, "quarter": self.quarter}


def last_quarter(today: dt.date | None = None) -> Quarter:
    """The quarter that ended last: it can always be disclosed."""
    year, quarter = previous_quarter(today or timezone.localdate())
    start, end = quarter_bounds(year, quarter)
    return Quarter(year, quarter, start, end)


def quarter_before(q: Quarter) -> Quarter:
    return last_quarter(q.start)


def fill_quarter(compound, q: Quarter, *, fee_fen: int = 250_00, cleaning_fen: int = 80_00) -> None:
    """A fee received and a cleaning bill paid in quarter ``q``."""
    pay_in(compound, fee_fen, on=q.start + dt.timedelta(days=4), memo="物业费 3栋2单元")
    pay_out(
        compound,
        cleaning_fen,
        category=Category.NC_CLEANING,
        memo="保洁服务费",
        on=q.start + dt.timedelta(days=9),
    )


def build(capture, compound, q: Quarter, actor) -> Disclosure:
    """Request the quarter's disclosure as an official and let its build run."""
    with capture(execute=True):
        disclosure = svc.disclosure_request(compound=compound, year=q.year, quarter=q.quarter, actor=actor)
    disclosure.refresh_from_db()
    assert disclosure.status == DisclosureStatus.READY, disclosure.last_error
    return disclosure


def publish(capture, disclosure, actor) -> Disclosure:
    with capture(execute=True):
        return svc.disclosure_publish(disclosure=disclosure, actor=actor)


# --------------------------------------------------------------------------- the resident's ledger


def build_resident_ledger(world):
    """Compound A's journal with one of each kind of row:

    1 opening balance · 2 a counter payment of unit 1-1 (masked counterparty) · 3 a bank
    payment · 4 repairs · 5 cleaning · 6 an unidentified receipt · 7 its assignment to a
    unit (no cash line) · 8 a payment · 9 its reversal (dated today)."""
    a = world.a
    open_escrow(a, opening_fen=100_000)
    payment_record(
        compound=a,
        unit=world.unit_a,
        amount_fen=30_000,
        method=PaymentMethod.CASH,
        received_on=dt.date(2025, 2, 10),
        receipt_no="R-0001",
        actor=None,
    )
    pay_in(a, 123_450, memo="物业费 三月 银行到账", on=dt.date(2025, 3, 1))
    pay_out(a, 50_000, category=Category.REPAIRS, memo="电梯维修", on=dt.date(2025, 5, 1))
    pay_out(a, 8_000, category=Category.NC_CLEANING, memo="保洁费 五月 Invoice-A7", on=dt.date(2025, 5, 20))
    with transaction.atomic():
        ledger_post(
            compound=a,
            kind=EntryKind.UNIDENTIFIED_RECEIPT,
            legs=[debit(Category.ESCROW_CASH, 5_000), credit(Category.SUSPENSE, 5_000)],
            memo="未识别到账",
            effective_date=dt.date(2025, 6, 1),
            actor=None,
        )
        ledger_post(
            compound=a,
            kind=EntryKind.SUSPENSE_ASSIGNMENT,
            legs=[debit(Category.SUSPENSE, 5_000), credit(Category.FEE_INCOME, 5_000)],
            memo="认领 未识别到账",
            effective_date=dt.date(2025, 6, 2),
            actor=None,
        )
    eight = pay_in(a, 999, memo="物业费 重复", on=dt.date(2025, 6, 3)).entry
    ledger_reverse(entry=eight, reason="重复入账", actor=None)
    open_escrow(world.b, opening_fen=7_700)
    return world


def oracle(compound, **params):
    """The filters and totals done again by hand, in Python, over every line of the
    compound: (matching sequences newest first, count, income, expense)."""
    date_from = dt.date.fromisoformat(params["date_from"]) if params.get("date_from") else None
    date_to = dt.date.fromisoformat(params["date_to"]) if params.get("date_to") else None
    q = (params.get("q") or "").strip().lower()
    named = {params[k] for k in ("category", "account") if params.get(k)}
    matched = []
    for entry in JournalEntry.objects.filter(compound=compound).order_by("-sequence"):
        lines = list(JournalLine.objects.filter(entry=entry).select_related("account"))
        if date_from and entry.effective_date < date_from:
            continue
        if date_to and entry.effective_date > date_to:
            continue
        if params.get("kind") and entry.kind != params["kind"]:
            continue
        if any(not any(ref in (ln.account.code, ln.account.category) for ln in lines) for ref in named):
            continue
        cash_sides = {ln.side for ln in lines if ln.account.category == Category.ESCROW_CASH}
        if params.get("direction") == "income" and "D" not in cash_sides:
            continue
        if params.get("direction") == "expense" and "C" not in cash_sides:
            continue
        if q and q not in entry.memo.lower():
            continue
        matched.append((entry, lines))
    income = expense = 0
    for _entry, lines in matched:
        for line in lines:
            if named and not ({line.account.code, line.account.category} & named):
                continue
            signed = line.amount if line.side == "D" else -line.amount
            if line.account.kind == "income":
                income -= signed
            elif line.account.kind == "expense":
                expense += signed
    return [e.sequence for e, _lines in matched], len(matched), income, expense
