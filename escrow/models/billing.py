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
    """How one bank's CSV export is read: which header names hold the date, the
    credited amount, the bank's transaction reference, the memo and the payer.

    Banks put a few lines of account details above the header (``skip_lines``), and
    some list money out in a separate debit column (``debit_column``): such rows are
    not fee income and are ignored, counted in the import.
    """

    class Encoding(models.TextChoices):
        AUTO = "auto", _("Detect (UTF-8, UTF-8 with BOM, GBK)")
        UTF8 = "utf-8", _("UTF-8")
        GBK = "gbk", _("GBK")

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="statement_mappings")
    bank_name = models.CharField(_("bank"), max_length=50)
    date_column = models.CharField(_("date column"), max_length=50)
    amount_column = models.CharField(_("amount column (money in)"), max_length=50)
    reference_column = models.CharField(_("transaction reference column"), max_length=50)
    memo_column = models.CharField(_("memo column"), max_length=50)
    payer_column = models.CharField(_("payer name column"), max_length=50, blank=True)
    debit_column = models.CharField(
        _("money-out column"),
        max_length=50,
        blank=True,
        help_text=_("Optional. Rows with an amount here and none in the money-in column are ignored."),
    )
    date_format = models.CharField(
        _("date format"), max_length=30, default="%Y-%m-%d", help_text=_("e.g. %Y-%m-%d or %Y/%m/%d")
    )
    encoding = models.CharField(_("encoding"), max_length=10, choices=Encoding, default=Encoding.AUTO)
    skip_lines = models.PositiveSmallIntegerField(_("lines above the header"), default=0)
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
            models.CheckConstraint(condition=Q(skip_lines__lte=50), name="statement_mapping_skip_sane"),
        ]

    def __str__(self):
        return self.bank_name

    @property
    def required_columns(self) -> list[str]:
        return [self.date_column, self.amount_column, self.reference_column, self.memo_column]


class StatementImport(models.Model):
    """One bank statement file that was imported (all its rows, or none of them).

    ``skipped`` counts rows whose bank reference had already been posted (the same
    file, or an overlapping statement); ``unidentified`` rows went to suspense.
    """

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="statement_imports")
    mapping = models.ForeignKey(BankStatementMapping, on_delete=models.PROTECT, related_name="imports")
    bank_name = models.CharField(_("bank"), max_length=50)
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
