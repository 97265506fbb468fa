"""The annual settlement (年统结统算, DESIGN.md §7): what the company finally receives.

A settlement is built in steps that each commit, like a quarterly disclosure:

    pending ──claim──▶ building ──figures frozen, files rendered──▶ ready
            ──2 committee + 1 community confirmations──▶ confirmed ──payout filed──▶ released

``figures`` is the canonical JSON document (docs/settlements.md), ``digest`` its SHA-256.
A correction is the next version with a reason; the old row stays, marked superseded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Compound, StreetOffice
from escrow.models import JournalEntry, PayoutRequest

# The default bands of DESIGN.md §7: [low, high] whole points, release rate in percent,
# and whether renewal of the contract is recommended.
DEFAULT_BANDS = [
    {"low": 90, "high": 100, "rate": 100, "renew": True},
    {"low": 80, "high": 89, "rate": 95, "renew": True},
    {"low": 70, "high": 79, "rate": 85, "renew": True},
    {"low": 60, "high": 69, "rate": 70, "renew": True},
    {"low": 0, "high": 59, "rate": 50, "renew": False},
]
DEFAULT_RESERVE_MONTHS = 3


class ScoreRule(models.TextChoices):
    MEAN_CLOSED_ROUNDS = "mean_closed_rounds", _("Mean of the year's closed quarterly rounds")


class SettlementPolicy(models.Model):
    """One version of a street office's settlement policy. Never edited: each save is a
    new version; the newest is in force and every settlement names the one it used."""

    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.PROTECT, related_name="settlement_policies"
    )
    version = models.PositiveIntegerField(_("version"))
    bands = models.JSONField(_("score bands"))
    reserve_months = models.PositiveSmallIntegerField(_("reserve carried forward (months)"))
    score_rule = models.CharField(_("score that counts"), max_length=30, choices=ScoreRule)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("settlement policy")
        verbose_name_plural = _("settlement policies")
        ordering = ["street_office", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["street_office", "version"], name="settlement_policy_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(reserve_months__lte=12), name="settlement_policy_reserve_months"
            ),
        ]

    def __str__(self):
        return f"{self.street_office} v{self.version}"


class SettlementStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be computed")
    BUILDING = "building", _("Being computed")
    READY = "ready", _("Ready, waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed, release being filed")
    RELEASED = "released", _("Confirmed, release filed")
    SUPERSEDED = "superseded", _("Replaced by a correction")


class Settlement(models.Model):
    """One version of a compound's settlement of one year."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="settlements")
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=12, choices=SettlementStatus, default=SettlementStatus.PENDING
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    policy = models.ForeignKey(SettlementPolicy, on_delete=models.PROTECT, related_name="+")
    figures = models.JSONField(_("figures"), null=True, blank=True)
    digest = models.CharField(_("SHA-256 of the figures"), max_length=64, blank=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    # Frozen with the figures: what the release payout must be, and must stay.
    release_fen = models.BigIntegerField(_("release (fen)"), null=True, blank=True)
    kept_fen = models.BigIntegerField(_("kept for the owners (fen)"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payee_account_masked = models.CharField(_("company's bank account"), max_length=40, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    payout = models.OneToOneField(
        PayoutRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="settlement"
    )
    owners_fund_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="settlement"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("annual settlement")
        verbose_name_plural = _("annual settlements")
        ordering = ["compound", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "year", "version"], name="settlement_version_unique"),
            models.UniqueConstraint(
                fields=["compound", "year"],
                condition=~Q(status="superseded"),
                name="settlement_one_in_force",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="settlement_version_positive"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(correction_reason=""), name="settlement_correction_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(release_fen__isnull=True) | Q(release_fen__gte=0, kept_fen__gte=0),
                name="settlement_amounts_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="settlement_status_idx")]

    def __str__(self):
        return f"{self.compound} {self.year} v{self.version}"


class SettlementFormat(models.TextChoices):
    JSON = "json", "JSON"
    CSV = "csv", "CSV"
    HTML = "html", "HTML"
    PDF = "pdf", "PDF"


FORMAT_CONTENT_TYPES = {
    SettlementFormat.JSON: "application/json",
    SettlementFormat.CSV: "text/csv; charset=utf-8",
    SettlementFormat.HTML: "text/html; charset=utf-8",
    SettlementFormat.PDF: "application/pdf",
}


class SettlementFile(models.Model):
    """One rendered file, stored in the database in the same commit as the step that made it."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="files")
    format = models.CharField(_("format"), max_length=8, choices=SettlementFormat)
    content = models.BinaryField()
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("settlement file")
        verbose_name_plural = _("settlement files")
        constraints = [
            models.UniqueConstraint(fields=["settlement", "format"], name="settlement_file_format_unique")
        ]

    def __str__(self):
        return f"{self.settlement} {self.format}"

    @property
    def content_type(self) -> str:
        return FORMAT_CONTENT_TYPES[self.format]


class ConfirmationParty(models.TextChoices):
    COMMITTEE = "committee", _("Owners' committee")
    COMMUNITY = "community", _("Community")


class SettlementConfirmation(models.Model):
    """A confirmation behind a fresh second factor; one per person and settlement."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="confirmations")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    party = models.CharField(_("party"), max_length=12, choices=ConfirmationParty)
    digest = models.CharField(_("digest confirmed"), max_length=64)
    second_factor = models.CharField(max_length=20)
    second_factor_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("settlement confirmation")
        verbose_name_plural = _("settlement confirmations")
        ordering = ["settlement", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "signer"], name="settlement_confirmation_once"),
        ]

    def __str__(self):
        return f"{self.settlement} · {self.party} · {self.signer_id}"


class RenewalDecision(models.Model):
    """An owners' decision recorded to renew a contract against a "not recommended" settlement."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="renewal_decisions")
    resolution_number = models.CharField(_("resolution number"), max_length=60)
    resolution_date = models.DateField(_("resolution date"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("owners' renewal decision")
        verbose_name_plural = _("owners' renewal decisions")

    def __str__(self):
        return f"{self.resolution_number} ({self.resolution_date})"
