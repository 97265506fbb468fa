"""The escrow account (共管账户): chart of accounts and the append-only journal.

Money is integer fen everywhere here. The journal is double-entry and append-only;
each compound's entries form a SHA-256 hash chain (see escrow/hashing.py). On
PostgreSQL the database itself refuses unbalanced entries, updates and deletes of
posted rows, and rows that mix compounds (migration 0002); on SQLite the posting
service enforces the same rules.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Compound

GENESIS_HASH = "0" * 64


class EscrowAccount(models.Model):
    """One escrow bank account per compound. Its row is the compound's ledger lock:
    every posting takes ``SELECT … FOR UPDATE`` on it, so postings in one compound are
    serialised while other compounds proceed in parallel. It also carries the chain
    head (entry count and last hash), so extending the chain never scans the journal."""

    compound = models.OneToOneField(Compound, on_delete=models.PROTECT, related_name="escrow_account")
    bank_name = models.CharField(_("bank"), max_length=100)
    account_name = models.CharField(_("account name"), max_length=100)
    account_number_masked = models.CharField(
        _("account number"),
        max_length=40,
        help_text=_("Only the masked form is stored, e.g. 6222 **** 1234."),
    )
    opened_on = models.DateField(_("opened on"))
    entry_count = models.BigIntegerField(_("entries"), default=0)
    head_hash = models.CharField(_("chain head"), max_length=64, default=GENESIS_HASH)
    closed_through = models.DateField(
        _("books closed through"),
        null=True,
        blank=True,
        help_text=_(
            "Entries dated on or before this day are refused: the quarter has been disclosed. "
            "Set by the disclosure build; moved back only by an audited reopening."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("escrow account")
        verbose_name_plural = _("escrow accounts")

    def __str__(self):
        return f"{self.compound} · {self.bank_name} {self.account_number_masked}"


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Owners' fund")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")


DEBIT_NORMAL = {AccountKind.ASSET, AccountKind.EXPENSE}


class Category(models.TextChoices):
    """Disclosure categories; each compound's chart has one ledger account per category."""

    ESCROW_CASH = "escrow_cash", _("Escrow account cash")
    SUSPENSE = "suspense", _("Unidentified receipts")
    OWNERS_FUND = "owners_fund", _("Owners' fund")
    FEE_INCOME = "fee_income", _("Property fee income")
    PARKING_INCOME = "parking_income", _("Parking income")
    ADVERTISING_INCOME = "advertising_income", _("Advertising income")
    INTEREST_INCOME = "interest_income", _("Interest income")
    OTHER_INCOME = "other_income", _("Other income")
    NC_STAFF = "nc_staff", _("Necessary cost: service staff")
    NC_CLEANING = "nc_cleaning", _("Necessary cost: cleaning")
    NC_GREENING = "nc_greening", _("Necessary cost: greening")
    NC_SECURITY = "nc_security", _("Necessary cost: order and security")
    NC_UTILITIES = "nc_utilities", _("Necessary cost: public water and power")
    NC_ELEVATOR = "nc_elevator", _("Necessary cost: elevator maintenance")
    NC_OTHER = "nc_other", _("Necessary cost: other")
    REPAIRS = "repairs", _("Repairs")
    SPECIAL_PROJECTS = "special_projects", _("Special projects")
    SETTLEMENT_RELEASE = "settlement_release", _("Settlement release to the company")
    REFUNDS = "refunds", _("Refunds")
    BANK_FEES = "bank_fees", _("Bank charges")
    WALLET_CASH = "wallet_cash", _("Fund wallet (Alipay / WeChat Pay)")
    UNEXPLAINED_OUTFLOW = "unexplained_outflow", _("Unexplained outflows (to be explained)")


# (code, category, kind) — the default chart every escrow account starts with.
DEFAULT_CHART: list[tuple[str, str, str]] = [
    ("1001", Category.ESCROW_CASH, AccountKind.ASSET),
    ("1002", Category.WALLET_CASH, AccountKind.ASSET),
    ("1201", Category.UNEXPLAINED_OUTFLOW, AccountKind.ASSET),
    ("2101", Category.SUSPENSE, AccountKind.LIABILITY),
    ("3001", Category.OWNERS_FUND, AccountKind.EQUITY),
    ("4001", Category.FEE_INCOME, AccountKind.INCOME),
    ("4101", Category.PARKING_INCOME, AccountKind.INCOME),
    ("4102", Category.ADVERTISING_INCOME, AccountKind.INCOME),
    ("4103", Category.INTEREST_INCOME, AccountKind.INCOME),
    ("4199", Category.OTHER_INCOME, AccountKind.INCOME),
    ("5101", Category.NC_STAFF, AccountKind.EXPENSE),
    ("5102", Category.NC_CLEANING, AccountKind.EXPENSE),
    ("5103", Category.NC_GREENING, AccountKind.EXPENSE),
    ("5104", Category.NC_SECURITY, AccountKind.EXPENSE),
    ("5105", Category.NC_UTILITIES, AccountKind.EXPENSE),
    ("5106", Category.NC_ELEVATOR, AccountKind.EXPENSE),
    ("5199", Category.NC_OTHER, AccountKind.EXPENSE),
    ("5201", Category.REPAIRS, AccountKind.EXPENSE),
    ("5301", Category.SPECIAL_PROJECTS, AccountKind.EXPENSE),
    ("5401", Category.SETTLEMENT_RELEASE, AccountKind.EXPENSE),
    ("5501", Category.REFUNDS, AccountKind.EXPENSE),
    ("5601", Category.BANK_FEES, AccountKind.EXPENSE),
]

NECESSARY_COST_CATEGORIES = frozenset(
    {
        Category.NC_STAFF,
        Category.NC_CLEANING,
        Category.NC_GREENING,
        Category.NC_SECURITY,
        Category.NC_UTILITIES,
        Category.NC_ELEVATOR,
        Category.NC_OTHER,
    }
)


class LedgerAccount(models.Model):
    """An account of a compound's chart. ``balance`` (debit minus credit, in fen) and
    ``version`` (number of lines posted to it) are a cache kept by the posting service
    under this row's lock; every line also records the version and running balance it
    produced, so the cache can be checked against the lines at any time."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="ledger_accounts")
    code = models.CharField(_("code"), max_length=10)
    category = models.CharField(_("category"), max_length=30, choices=Category)
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind)
    balance = models.BigIntegerField(_("balance (debit − credit, fen)"), default=0)
    version = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["compound", "code"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "code"], name="ledger_account_code_unique"),
            models.UniqueConstraint(fields=["compound", "category"], name="ledger_account_category_unique"),
            # Target of the composite foreign key that keeps lines and accounts in one compound.
            models.UniqueConstraint(fields=["id", "compound"], name="ledger_account_id_compound_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.get_category_display()}"

    @property
    def normal_balance(self) -> int:
        """The balance on the account's normal side (credit-normal accounts flip sign)."""
        return self.balance if self.kind in DEBIT_NORMAL else -self.balance


class EntryKind(models.TextChoices):
    OPENING_BALANCE = "opening_balance", _("Opening balance")
    FEE_PAYMENT = "fee_payment", _("Property fee received")
    UNIDENTIFIED_RECEIPT = "unidentified_receipt", _("Unidentified receipt")
    SUSPENSE_ASSIGNMENT = "suspense_assignment", _("Receipt assigned to a unit")
    OTHER_INCOME = "other_income", _("Other income")
    PAYOUT = "payout", _("Payout")
    REVERSAL = "reversal", _("Reversal")
    OWNERS_FUND_TRANSFER = "owners_fund_transfer", _("Settlement: part kept moved to the owners' fund")
    INTEREST = "interest", _("Bank interest")
    BANK_CHARGE = "bank_charge", _("Bank charge")
    REFUND = "refund", _("Refund")
    WALLET_TRANSFER = "wallet_transfer", _("Wallet withdrawal to the escrow account")
    UNEXPLAINED_OUTFLOW = "unexplained_outflow", _("Unexplained outflow")
    OUTFLOW_EXPLAINED = "outflow_explained", _("Outflow explained")


class JournalEntry(models.Model):
    """A posted, balanced journal entry. Never updated or deleted; a correction is a
    new entry with ``kind=reversal`` that names the original in ``reverses``."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="journal_entries")
    sequence = models.BigIntegerField(_("sequence number"))
    kind = models.CharField(_("kind"), max_length=30, choices=EntryKind)
    memo = models.CharField(_("memo"), max_length=200)
    effective_date = models.DateField(_("effective date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, null=True, blank=True)  # noqa: DJ001
    fingerprint = models.CharField(_("content fingerprint"), max_length=64)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["compound", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "sequence"], name="entry_sequence_unique"),
            models.UniqueConstraint(
                fields=["compound", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="entry_idempotency_key_unique",
            ),
            models.UniqueConstraint(fields=["id", "compound"], name="entry_id_compound_unique"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="entry_sequence_positive"),
        ]
        indexes = [
            models.Index(fields=["compound", "effective_date", "sequence"], name="entry_compound_date_idx"),
            models.Index(fields=["compound", "kind", "sequence"], name="entry_compound_kind_idx"),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.get_kind_display()} {self.memo}"


class Side(models.TextChoices):
    DEBIT = "D", _("Debit")
    CREDIT = "C", _("Credit")


class JournalLine(models.Model):
    """One debit or credit of an entry. ``amount`` is always positive; ``side`` says which.
    ``account_version``/``balance_after`` are the account's running version and balance
    once this line was posted."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="lines")
    side = models.CharField(_("side"), max_length=1, choices=Side)
    amount = models.BigIntegerField(_("amount (fen)"))
    account_version = models.BigIntegerField()
    balance_after = models.BigIntegerField()

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        ordering = ["entry", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="line_amount_positive"),
            models.CheckConstraint(condition=Q(side__in=["D", "C"]), name="line_side_valid"),
            models.UniqueConstraint(
                fields=["account", "account_version"], name="line_account_version_unique"
            ),
        ]
        indexes = [
            # Filtering the journal by account or category walks entries newest first.
            models.Index(fields=["account", "entry"], name="line_account_entry_idx"),
        ]

    def __str__(self):
        return f"{self.side} {self.account.code} {self.amount}"
