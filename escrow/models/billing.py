"""Money coming in: fee bills (应收), payments (实收), bank statement imports.

Bills are what a unit owes; they are not ledger entries (the ledger is kept on a
cash basis). Every payment, whatever its source, is posted through the one posting
service and points at the journal entry that recorded it; the unique constraints
below make each source reference (receipt number, bank transaction reference,
provider transaction id) post at most once per compound, in the database as well as
through the entry's idempotency key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Compound, ServiceContract, Unit
from escrow.models.ledger import JournalEntry


class FeeBill(models.Model):
    """One unit's property fee for one month (物业费应收).

    ``amount_fen`` = ``floor_area`` × ``rate_fen``, rounded half up to the fen *per
    unit* (see ``escrow.fees.services.billing.bill_amount_fen``). A compound's billed total
    for a month is by definition the sum of its stored unit bills — there is no
    separately rounded compound figure that could disagree with it by a fen.
    The area and rate used are stored so that a later change of either never
    rewrites a bill already issued.
    """

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="fee_bills")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="fee_bills")
    contract = models.ForeignKey(ServiceContract, on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("month"), help_text=_("The first day of the month billed."))
    floor_area = models.DecimalField(_("floor area (m²)"), max_digits=7, decimal_places=2)
    rate_fen = models.PositiveIntegerField(_("fee rate (fen per m² per month)"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fee bill")
        verbose_name_plural = _("fee bills")
        ordering = ["compound", "period", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "period"], name="fee_bill_unit_period_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="fee_bill_amount_positive"),
            models.CheckConstraint(condition=Q(rate_fen__gt=0), name="fee_bill_rate_positive"),
            models.CheckConstraint(condition=Q(floor_area__gt=0), name="fee_bill_area_positive"),
        ]
        indexes = [models.Index(fields=["compound", "period"], name="fee_bill_compound_period_idx")]

    def __str__(self):
        return f"{self.unit_id} {self.period:%Y-%m} {self.amount_fen}"


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    POS = "pos", _("Card terminal (POS)")


class PaymentSource(models.TextChoices):
    MANUAL = "manual", _("Recorded by hand")
    IMPORT = "import", _("Bank statement")
    WEBHOOK = "webhook", _("Payment notification")


class BankStatementMapping(models.Model):
    """A saved custom layout for a statement file that none of the built-in presets
    (ICBC, CMB, CCB, ABC, BOCOM, BOC, Alipay, WeChat Pay, corporate) recognises.

    ``layout`` holds ``banking.Mapping.as_dict()``: which header names hold the date,
    the amounts and their direction (two columns, a signed amount, or a direction
    column with its income / expense / neutral words), the running balance, the bank's
    serial, the counterparty and the memo. Files in a preset's layout need no mapping.
    """

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="statement_mappings")
    bank_name = models.CharField(_("bank"), max_length=50)
    layout = models.JSONField(_("layout"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bank statement mapping")
        verbose_name_plural = _("bank statement mappings")
        ordering = ["compound", "bank_name"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "bank_name"], name="statement_mapping_bank_unique"),
        ]

    def __str__(self):
        return self.bank_name

    def as_mapping(self):
        """The ``banking.Mapping`` this row stores."""
        from banking import Mapping

        return Mapping.from_dict({**self.layout, "name": self.bank_name})


class StatementImport(models.Model):
    """One bank statement file that was imported (all its rows, or none of them).

    ``skipped`` counts lines already imported (same line identity: the same file, a
    re-download, an overlapping statement); ``unidentified`` receipts went to suspense;
    ``ignored`` lines moved no money (wallets' neutral and closed lines).
    """

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="statement_imports")
    mapping = models.ForeignKey(
        BankStatementMapping, null=True, blank=True, on_delete=models.PROTECT, related_name="imports"
    )
    bank_name = models.CharField(_("bank"), max_length=50)
    layout = models.CharField(_("layout"), max_length=30, blank=True)
    account_number = models.CharField(_("account number (as the file states it)"), max_length=40, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    opening_balance_fen = models.BigIntegerField(null=True, blank=True)
    closing_balance_fen = models.BigIntegerField(null=True, blank=True)
    # kind → [lines, fen] of the lines this import posted (see escrow.fees.services.imports.OUTCOMES)
    summary = models.JSONField(default=dict, blank=True)
    file_name = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    encoding = models.CharField(_("encoding"), max_length=10)
    rows = models.PositiveIntegerField(_("rows"))
    posted = models.PositiveIntegerField(_("posted"))
    skipped = models.PositiveIntegerField(_("already imported"))
    unidentified = models.PositiveIntegerField(_("unidentified"))
    ignored = models.PositiveIntegerField(_("money out, ignored"), default=0)
    posted_fen = models.BigIntegerField(_("amount posted (fen)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement import")
        verbose_name_plural = _("statement imports")
        ordering = ["compound", "-created_at", "-id"]
        indexes = [models.Index(fields=["compound", "sha256"], name="statement_import_sha_idx")]

    def __str__(self):
        return f"{self.bank_name} {self.file_name} ({self.created_at:%Y-%m-%d})"


class Payment(models.Model):
    """A property fee received into the escrow account (物业费实收).

    ``entry`` is the journal entry that posted it: D escrow cash / C fee income for a
    payment of a known unit, D escrow cash / C suspense for an unidentified receipt
    (``unit`` empty). Assigning an unidentified receipt later posts D suspense /
    C fee income (``assignment_entry``) and fills in ``unit``. Whether the unit was
    known at once or assigned later, ``received_on`` stays the day the money arrived.
    """

    # Indexes: a statement import inserts up to 100,000 payments at once, so each
    # index must earn its keep. compound_id and unit_id are served by the composite
    # indexes in Meta; the user and import links are never searched by.
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="payments", db_index=False)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod)
    source = models.CharField(_("source"), max_length=10, choices=PaymentSource)
    received_on = models.DateField(_("received on"))
    receipt_no = models.CharField(_("receipt number"), max_length=40, blank=True)
    # The bank (statement imports) or the payment provider (webhooks) …
    channel = models.CharField(_("bank or provider"), max_length=50, blank=True)
    # … and its own transaction reference: the key that must post at most once.
    reference = models.CharField(_("transaction reference"), max_length=64, blank=True)
    # Kept only for unidentified receipts: what a person needs to work out whose money it is.
    payer_name = models.CharField(_("payer (as on the statement)"), max_length=100, blank=True)
    statement_memo = models.CharField(_("memo (as on the statement)"), max_length=200, blank=True)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="payment")
    assignment_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_payment"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    statement_import = models.ForeignKey(
        StatementImport,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["compound", "-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["compound", "receipt_no"],
                condition=~Q(receipt_no=""),
                name="payment_receipt_no_unique",
            ),
            models.UniqueConstraint(
                fields=["compound", "source", "channel", "reference"],
                condition=~Q(reference=""),
                name="payment_source_reference_unique",
            ),
            # One escrow account per compound, so a bank's transaction reference is unique
            # in the compound whatever the mapping (a free-text label) is called.
            models.UniqueConstraint(
                fields=["compound", "reference"],
                condition=Q(source="import"),
                name="payment_bank_reference_unique",
            ),
            # A provider's transaction id is unique for the provider, not per compound:
            # one transaction never posts in two compounds, even from two deliveries at once.
            models.UniqueConstraint(
                fields=["channel", "reference"],
                condition=Q(source="webhook"),
                name="payment_webhook_transaction_unique",
            ),
            # Each source carries the reference that makes it post only once.
            models.CheckConstraint(
                condition=(
                    Q(source="manual") & ~Q(receipt_no="")
                    | Q(source__in=["import", "webhook"]) & ~Q(reference="") & ~Q(channel="")
                ),
                name="payment_has_source_reference",
            ),
            # Only a bank statement line can arrive without a known unit.
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(source="import", assignment_entry__isnull=True),
                name="payment_unidentified_only_from_import",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "received_on"], name="payment_unit_date_idx"),
            models.Index(fields=["compound", "received_on"], name="payment_compound_date_idx"),
            # The webhook's "already posted for another compound?" check.
            models.Index(
                fields=["channel", "reference"], condition=Q(source="webhook"), name="payment_webhook_ref_idx"
            ),
            models.Index(
                fields=["compound", "received_on"],
                condition=Q(unit__isnull=True),
                name="payment_suspense_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount_fen} {self.received_on}"

    @property
    def is_unidentified(self) -> bool:
        return self.unit_id is None


class BankLineOutcome(models.TextChoices):
    """What the import did with a bank line."""

    FEE = "fee", _("Fee received (matched to a unit)")
    SUSPENSE = "suspense", _("Unidentified receipt (suspense)")
    INTEREST = "interest", _("Interest")
    CHARGE = "charge", _("Bank charge")
    REFUND_IN = "refund_in", _("Refund back to the fund")
    REFUND = "refund", _("Refund to an owner")
    PAYOUT = "payout", _("Payout (matched)")
    TRANSFER = "transfer", _("Wallet withdrawal to the escrow account")
    UNEXPLAINED = "unexplained", _("Unexplained outflow")
    NOT_POSTED = "not_posted", _("Moved no money")


class BankLine(models.Model):
    """One line of a bank or wallet statement, as imported, once per escrow account.

    ``identity`` is ``banking``'s mapping-independent identity of the line (running
    balance, else the bank's serial, else the line's content; see
    docs/bank-statements.md): the unique constraint makes "already imported" exactly
    "the same identity", whichever file, encoding or mapping brought the line.
    """

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+", db_index=False)
    account = models.ForeignKey(
        "escrow.EscrowAccount", on_delete=models.PROTECT, related_name="bank_lines", db_index=False
    )
    statement_import = models.ForeignKey(
        StatementImport, on_delete=models.PROTECT, related_name="bank_lines", db_index=False
    )
    identity = models.CharField(_("line identity"), max_length=40)
    identity_basis = models.CharField(max_length=12)
    source = models.CharField(_("source"), max_length=10)  # "bank" or "wallet"
    line = models.PositiveIntegerField(_("line in the file"))
    date = models.DateField(_("date"))
    direction = models.CharField(_("direction"), max_length=8)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    balance_fen = models.BigIntegerField(_("balance after (fen)"), null=True, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=100, blank=True)
    counterparty_account = models.CharField(_("counterparty account"), max_length=40, blank=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    serial = models.CharField(_("bank serial"), max_length=64, blank=True)
    kind = models.CharField(_("kind hint"), max_length=12)
    outcome = models.CharField(_("booked as"), max_length=12, choices=BankLineOutcome)
    entry = models.ForeignKey(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    payout = models.ForeignKey(
        "escrow.PayoutRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_lines"
    )
    # The line this one is the other side of (a wallet withdrawal and its arrival at the bank).
    transfer_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="transfer_pair"
    )
    problem = models.CharField(_("problem"), max_length=200, blank=True)
    explained_at = models.DateTimeField(_("explained at"), null=True, blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    explanation = models.CharField(_("explanation"), max_length=200, blank=True)
    explanation_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="explained_line"
    )

    class Meta:
        verbose_name = _("bank line")
        verbose_name_plural = _("bank lines")
        ordering = ["account", "date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "identity"], name="bank_line_identity_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="bank_line_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["account", "date"], name="bank_line_account_date_idx"),
            models.Index(
                fields=["compound", "date"],
                condition=Q(outcome="unexplained", explained_at__isnull=True),
                name="bank_line_unexplained_idx",
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.direction} {self.amount_fen} ({self.get_outcome_display()})"


class Reconciliation(models.Model):
    """A month's reconciliation (对账) of the escrow account: the bank's balance at the
    month's end (from the imported statement lines) beside the ledger's cash, signed by
    a committee member and a community official, each behind step-up. The figures are
    those both signed; if they change before the second signature, the first is void."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+", db_index=False)
    account = models.ForeignKey(
        "escrow.EscrowAccount", on_delete=models.PROTECT, related_name="reconciliations", db_index=False
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reconciled."))
    bank_balance_fen = models.BigIntegerField(_("bank balance (fen)"), null=True, blank=True)
    ledger_balance_fen = models.BigIntegerField(_("ledger cash (fen)"))
    committee_signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    committee_signed_at = models.DateTimeField(null=True, blank=True)
    community_signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community_signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["account", "month"]
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="reconciliation_month_unique"),
            models.CheckConstraint(
                condition=Q(committee_signer__isnull=True)
                | Q(community_signer__isnull=True)
                | ~Q(committee_signer=models.F("community_signer")),
                name="reconciliation_two_people",
            ),
        ]

    def __str__(self):
        return f"{self.account_id} {self.month:%Y-%m}"

    @property
    def difference_fen(self) -> int | None:
        if self.bank_balance_fen is None:
            return None
        return self.bank_balance_fen - self.ledger_balance_fen

    @property
    def signed(self) -> bool:
        return self.committee_signed_at is not None and self.community_signed_at is not None
