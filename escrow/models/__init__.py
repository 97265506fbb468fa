"""Escrow models, one module per concern: ledger.py (accounts and journal)."""

from escrow.models.ledger import (
    DEBIT_NORMAL,
    DEFAULT_CHART,
    GENESIS_HASH,
    NECESSARY_COST_CATEGORIES,
    AccountKind,
    Category,
    EntryKind,
    EscrowAccount,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Side,
)

__all__ = [
    "DEBIT_NORMAL",
    "DEFAULT_CHART",
    "GENESIS_HASH",
    "NECESSARY_COST_CATEGORIES",
    "AccountKind",
    "Category",
    "EntryKind",
    "EscrowAccount",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "Side",
]
