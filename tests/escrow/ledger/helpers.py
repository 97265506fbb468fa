"""Helpers shared by the ledger tests (this module holds no tests).

Everything is built through the real services: ``escrow_account_open`` and the one
posting service. A posting helper wraps its call in ``transaction.atomic()`` the way
a calling service does, so a refused posting rolls back to where it started.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction

from escrow.ledger.services import credit, debit, escrow_account_open, ledger_post
from escrow.models import Category, EntryKind, EscrowAccount, JournalEntry, JournalLine, LedgerAccount

OPENED_ON = dt.date(2025, 1, 1)
DAY = dt.date(2025, 6, 1)


def open_escrow(
    compound, *, opening_fen: int = 0, opened_on: dt.date = OPENED_ON, actor=None
) -> EscrowAccount:
    return escrow_account_open(
        compound=compound,
        bank_name="中国银行咸宁分行",
        account_name=f"{compound.name}共管账户",
        account_number="6222021234567890123",
        opened_on=opened_on,
        opening_balance_fen=opening_fen,
        actor=actor,
    )


def pay_in(
    compound, fen: int, *, key: str | None = None, memo: str = "物业费", on: dt.date = DAY, actor=None
):
    """A property fee received: cash up, fee income up."""
    with transaction.atomic():
        return ledger_post(
            compound=compound,
            kind=EntryKind.FEE_PAYMENT,
            legs=[debit(Category.ESCROW_CASH, fen), credit(Category.FEE_INCOME, fen)],
            memo=memo,
            effective_date=on,
            actor=actor,
            idempotency_key=key,
        )


def pay_out(
    compound, fen: int, *, category: str = Category.NC_CLEANING, memo: str = "保洁费", on: dt.date = DAY
):
    """A payout to an expense category: cash down."""
    with transaction.atomic():
        return ledger_post(
            compound=compound,
            kind=EntryKind.PAYOUT,
            legs=[debit(category, fen), credit(Category.ESCROW_CASH, fen)],
            memo=memo,
            effective_date=on,
            actor=None,
        )


@dataclass(frozen=True)
class LedgerSnapshot:
    """Everything a refused posting must leave exactly as it was."""

    entries: int
    lines: int
    entry_count: int
    head_hash: str
    accounts: tuple


def snapshot(compound) -> LedgerSnapshot:
    escrow = EscrowAccount.objects.get(compound=compound)
    return LedgerSnapshot(
        entries=JournalEntry.objects.filter(compound=compound).count(),
        lines=JournalLine.objects.filter(compound=compound).count(),
        entry_count=escrow.entry_count,
        head_hash=escrow.head_hash,
        accounts=tuple(
            LedgerAccount.objects.filter(compound=compound)
            .order_by("code")
            .values_list("code", "balance", "version")
        ),
    )


def check_deferred_constraints() -> None:
    """On PostgreSQL, run the deferred constraint triggers now (as a commit would) and
    go back to deferring. No-op on SQLite, which has none."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
