"""Escrow models, one module per concern: ledger.py (accounts and journal),
billing.py (fee bills, payments in, bank statement imports)."""

from escrow.models.billing import (
    BankStatementMapping,
    FeeBill,
    Payment,
    PaymentMethod,
    PaymentSource,
    StatementImport,
)
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
    "BankStatementMapping",
    "Category",
    "EntryKind",
    "EscrowAccount",
    "FeeBill",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "Payment",
    "PaymentMethod",
    "PaymentSource",
    "Side",
    "StatementImport",
]
