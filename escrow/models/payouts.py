"""Payout requests (支出申请) and their joint signatures (联签).

draft → submitted ─(committee approvals)→ reviewed ─(community approvals)→ rechecked
      ─(payment recorded, ledger posted)→ paid; any signer may reject; the applicant may
withdraw before the first signature. A request in submitted/reviewed/rechecked holds its
amount: *available* = cash − open holds − reserve (escrow/payouts/services/availability.py).
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Compound, PropertyCompany
from escrow.models.ledger import Category, JournalEntry

# Free text that is published (the ledger, the public trail, the quarterly disclosure)
# has a ceiling: a page of text, not a book.
PURPOSE_MAX_CHARS = 500
PAYEE_NAME_MAX_CHARS = 100


class PayoutCategory(models.TextChoices):
    NECESSARY_COST = "necessary_cost", _("Necessary monthly cost")
    REPAIR = "repair", _("Repair")
    SPECIAL_PROJECT = "special_project", _("Special project")
    SETTLEMENT_RELEASE = "settlement_release", _("Annual settlement release")
    REFUND = "refund", _("Refund")


# Which ledger expense accounts each payout category may be booked to.
CATEGORY_EXPENSE_ACCOUNTS: dict[str, tuple[str, ...]] = {
    PayoutCategory.NECESSARY_COST: (
        Category.NC_STAFF,
        Category.NC_CLEANING,
        Category.NC_GREENING,
        Category.NC_SECURITY,
        Category.NC_UTILITIES,
        Category.NC_ELEVATOR,
        Category.NC_OTHER,
    ),
    PayoutCategory.REPAIR: (Category.REPAIRS,),
    PayoutCategory.SPECIAL_PROJECT: (Category.SPECIAL_PROJECTS,),
    PayoutCategory.SETTLEMENT_RELEASE: (Category.SETTLEMENT_RELEASE,),
    PayoutCategory.REFUND: (Category.REFUNDS,),
}


class PayoutStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for committee review")
    REVIEWED = "reviewed", _("Waiting for community recheck")
    RECHECKED = "rechecked", _("Approved, waiting for payment")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


HOLDING_STATUSES = (PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED, PayoutStatus.RECHECKED)


class PayoutPolicy(models.Model):
    """Per-compound settings of the payout workflow (DESIGN.md §6 defaults)."""

    compound = models.OneToOneField(Compound, on_delete=models.PROTECT, related_name="payout_policy")
    committee_approvals = models.PositiveSmallIntegerField(
        _("committee approvals needed"), default=2, validators=[MinValueValidator(2), MaxValueValidator(7)]
    )
    community_approvals = models.PositiveSmallIntegerField(
        _("community approvals needed"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    resolution_threshold_fen = models.BigIntegerField(
        _("amount that needs a meeting resolution (fen)"),
        default=5_000_000,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        verbose_name = _("payout policy")
        verbose_name_plural = _("payout policies")
        constraints = [
            # "双人审核": never fewer than two committee signatures.
            models.CheckConstraint(condition=Q(committee_approvals__gte=2), name="policy_two_person_review"),
            models.CheckConstraint(condition=Q(community_approvals__gte=1), name="policy_community_recheck"),
        ]

    def __str__(self):
        return f"{self.compound}: {self.committee_approvals}+{self.community_approvals}"


class PayoutRequest(models.Model):
    """支出申请 — filed by property staff, signed by the committee and the community."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="payout_requests")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=30, choices=PayoutCategory)
    expense_account = models.CharField(_("expense account"), max_length=30, choices=Category)
    payee_name = models.CharField(_("payee"), max_length=100)
    payee_account_masked = models.CharField(_("payee account"), max_length=40)
    payee_company = models.ForeignKey(
        PropertyCompany,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("payee company"),
        help_text=_("Set when the payee is a property company; its people may not sign."),
    )
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    purpose = models.TextField(_("purpose"))
    resolution_number = models.CharField(_("resolution number"), max_length=60, blank=True)
    resolution_date = models.DateField(_("resolution date"), null=True, blank=True)
    # The owners' meeting resolution cited (a string reference: escrow never imports
    # meetings). Requests filed before it existed keep their typed number and date only.
    resolution = models.ForeignKey(
        "meetings.Resolution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolution cited"),
    )
    status = models.CharField(_("status"), max_length=20, choices=PayoutStatus, default=PayoutStatus.DRAFT)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=80, blank=True)
    payment_date = models.DateField(_("payment date"), null=True, blank=True)
    journal_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="payout"
    )
    budget_line = models.ForeignKey(
        "escrow.BudgetLine", null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    period = models.DateField(_("budget month"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payout request")
        verbose_name_plural = _("payout requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["compound", "status", "-id"], name="payout_compound_status_idx"),
            models.Index(fields=["applicant", "-id"], name="payout_applicant_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(journal_entry__isnull=False) & ~Q(bank_reference="")),
                name="payout_paid_has_entry_and_reference",
            ),
            models.UniqueConstraint(
                fields=["compound", "bank_reference"],
                condition=~Q(bank_reference=""),
                name="payout_bank_reference_unique",
            ),
            models.UniqueConstraint(
                fields=["budget_line", "period"],
                condition=Q(budget_line__isnull=False),
                name="payout_one_draft_per_budget_month",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_category_display()} {self.payee_name}"

    @classmethod
    def citable_resolutions(cls, compound):
        """The compound's resolutions a request may cite: adopted, at a meeting whose minutes
        are published (as ``meetings.selectors.resolutions_citable``; read through the
        foreign key's model, so escrow does not import meetings)."""
        model = cls._meta.get_field("resolution").related_model
        return model.objects.filter(compound=compound, adopted=True, meeting__status="published").order_by(
            "-decided_on", "-pk"
        )

    def compute_content_hash(self) -> str:
        """What every signature binds: amount, payee, category and the attachments' hashes.
        (Here, at the bottom of escrow, so the ledger's verifier can re-check paid requests.)"""
        body = {
            "compound": self.compound_id,
            "request": self.pk,
            "category": self.category,
            "expense_account": self.expense_account,
            "payee_name": self.payee_name,
            "payee_account": self.payee_account_masked,
            "payee_company": self.payee_company_id,
            "amount_fen": self.amount_fen,
            "purpose": self.purpose,
            "resolution": [
                self.resolution_number,
                self.resolution_date.isoformat() if self.resolution_date else None,
            ],
            "attachments": sorted(self.attachments.values_list("sha256", flat=True)),
        }
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        return hashlib.sha256(raw).hexdigest()

    def signed_content_problem(self) -> str | None:
        """None when the content, re-hashed now, is what it was submitted with and what every
        signature bound; otherwise a sentence naming the mismatch."""
        hash_now = self.compute_content_hash()
        if hash_now != self.content_hash:
            return "its content, re-hashed now, differs from the hash stored at submission"
        signed = set(self.signatures.values_list("content_hash", flat=True))
        if not signed:
            return "no signature binds its content"
        if signed != {hash_now}:
            return "a signature bound a content hash other than its content now"
        return None

    @property
    def public_payee(self) -> str:
        """The payee as public pages, the ledger export and the (hashed) memo show it. A
        refund goes to a resident, whose name is private: only its first character stays."""
        if self.category == PayoutCategory.REFUND:
            name = self.payee_name.strip()
            return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""
        return self.payee_name


def _attachment_path(instance, filename):
    # The stored name is random: the uploader's file name is kept only as data.
    return f"private/payouts/{instance.compound_id}/{timezone.now():%Y%m}/{filename}"


class AttachmentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    QUOTE = "quote", _("Quote")
    CONTRACT = "contract", _("Contract")
    MINUTES = "minutes", _("Meeting minutes (resolution)")
    OTHER = "other", _("Other")


class PayoutAttachment(models.Model):
    """An invoice, quote or other evidence; type checked by content, stored outside the
    web root, served only through a permission-checked view."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(PayoutRequest, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=20, choices=AttachmentKind)
    file = models.FileField(upload_to=_attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self):
        return self.original_name


class SignatureStep(models.TextChoices):
    REVIEW = "review", _("Committee review")
    RECHECK = "recheck", _("Community recheck")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")


class PayoutSignature(models.Model):
    """One person's decision on a request (or a budget). The database refuses a second
    signature by the same person on the same request, whatever roles they hold."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(
        PayoutRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    budget = models.ForeignKey(
        "escrow.NecessaryCostBudget",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signatures",
    )
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    step = models.CharField(_("step"), max_length=10, choices=SignatureStep)
    role = models.CharField(_("role"), max_length=30)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision)
    comment = models.TextField(_("comment"), blank=True)
    content_hash = models.CharField(_("signed content hash"), max_length=64)
    second_factor = models.CharField(_("second factor"), max_length=20)
    second_factor_at = models.DateTimeField(_("second factor passed at"))
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "signer"],
                condition=Q(request__isnull=False),
                name="signature_once_per_request",
            ),
            models.UniqueConstraint(
                fields=["budget", "signer"],
                condition=Q(budget__isnull=False),
                name="signature_once_per_budget",
            ),
            models.CheckConstraint(
                condition=Q(request__isnull=False, budget__isnull=True)
                | Q(request__isnull=True, budget__isnull=False),
                name="signature_subject_is_request_xor_budget",
            ),
            models.CheckConstraint(
                condition=Q(second_factor__in=["totp", "webauthn"]), name="signature_second_factor_strong"
            ),
        ]

    def __str__(self):
        return f"{self.signer} {self.get_decision_display()} ({self.get_step_display()})"


class BudgetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for committee review")
    REVIEWED = "reviewed", _("Waiting for community recheck")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class NecessaryCostBudget(models.Model):
    """The year's monthly necessary costs (必要成本), approved once a year through the same
    signatures as a payout. Approved lines make the monthly drafts and the reserve."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="budgets")
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=BudgetStatus, default=BudgetStatus.DRAFT)
    content_hash = models.CharField(max_length=64, blank=True)
    rejection_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("necessary-cost budget")
        verbose_name_plural = _("necessary-cost budgets")
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "year"],
                condition=Q(status="approved"),
                name="budget_one_approved_per_year",
            ),
        ]

    def __str__(self):
        return f"{self.compound} {self.year}"


class BudgetLine(models.Model):
    """One monthly line of a necessary-cost budget: the expense account, the payee and the amount
    drafted as a payout request on each month's 1st."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    budget = models.ForeignKey(NecessaryCostBudget, on_delete=models.CASCADE, related_name="lines")
    expense_account = models.CharField(_("category"), max_length=30, choices=Category)
    payee_name = models.CharField(_("payee"), max_length=100)
    payee_account_masked = models.CharField(_("payee account"), max_length=40)
    payee_company = models.ForeignKey(
        PropertyCompany, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    monthly_amount_fen = models.BigIntegerField(_("monthly amount (fen)"))

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_amount_fen__gt=0), name="budget_line_amount_positive"),
        ]

    def __str__(self):
        return f"{self.get_expense_account_display()} {self.payee_name}"
