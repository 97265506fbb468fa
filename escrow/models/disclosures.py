"""Quarterly disclosures (季度公示): frozen, versioned, published figures of one
compound's escrow account for one quarter, with their rendered files.

A disclosure is built in steps that each commit, so a run killed mid-way is finished
by the next run or by the sweep (``escrow.transparency.services``):

    pending ──claim──▶ building ──figures frozen, files rendered──▶ ready ──publish──▶ published

``figures`` is the canonical JSON document (the format is in docs/disclosures.md),
``digest`` its SHA-256; each rendered file keeps its own SHA-256. A correction is a
new row with ``version + 1`` and a reason; the old row stays, marked superseded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Compound

# A quarter's disclosure is due within this many days after the quarter ends; later it
# is flagged overdue to the street office (DESIGN.md §4).
PUBLISH_WITHIN_DAYS = 15


# The reason of a correction is published with it.
CORRECTION_REASON_MAX_CHARS = 1000


class DisclosureStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be built")
    BUILDING = "building", _("Being built")
    READY = "ready", _("Ready, not yet published")
    PUBLISHED = "published", _("Published")


class Disclosure(models.Model):
    """One version of a compound's quarterly disclosure (季度公示). Versions of a quarter are
    numbered from 1, unique per compound and quarter (``disclosure_version_unique``); a
    correction is the next version, with its reason, and supersedes exactly one earlier
    one. Once built, its ``figures``, ``digest`` and ``entry_count`` are never rewritten;
    building it closed the books through ``period_end`` (until an audited reopening)."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="disclosures")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(
        _("status"), max_length=12, choices=DisclosureStatus, default=DisclosureStatus.PENDING
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    # Frozen by the build, under the compound's ledger lock.
    figures = models.JSONField(_("figures"), null=True, blank=True)
    digest = models.CharField(_("SHA-256 of the figures"), max_length=64, blank=True)
    entry_count = models.BigIntegerField(_("entries in the chain"), null=True, blank=True)
    head_hash = models.CharField(_("chain head"), max_length=64, blank=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    # The build's lease: a claim older than the lease is taken over by the next run.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Touched every few seconds while a build runs: a build whose heartbeat stopped (the
    # worker died) is taken over within a minute, not only after the lease.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quarterly disclosure")
        verbose_name_plural = _("quarterly disclosures")
        ordering = ["compound", "-year", "-quarter", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "year", "quarter", "version"], name="disclosure_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="disclosure_quarter_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="disclosure_version_positive"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(correction_reason=""), name="disclosure_correction_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="disclosure_status_idx")]

    def __str__(self):
        return f"{self.compound} {self.year}Q{self.quarter} v{self.version}"

    @property
    def label(self) -> str:
        return _("%(year)s Q%(q)s") % {"year": self.year, "q": self.quarter}


class DisclosureFormat(models.TextChoices):
    JSON = "json", "JSON"
    CSV = "csv", "CSV"
    HTML = "html", "HTML"
    PDF = "pdf", "PDF"


FORMAT_CONTENT_TYPES = {
    DisclosureFormat.JSON: "application/json",
    DisclosureFormat.CSV: "text/csv; charset=utf-8",
    DisclosureFormat.HTML: "text/html; charset=utf-8",
    DisclosureFormat.PDF: "application/pdf",
}


class DisclosureFile(models.Model):
    """One rendered file of a disclosure. Stored in the database: written in the same
    transaction as the step that made it, so a resumed build sees exactly what exists."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="files")
    format = models.CharField(_("format"), max_length=8, choices=DisclosureFormat)
    content = models.BinaryField()
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("disclosure file")
        verbose_name_plural = _("disclosure files")
        ordering = ["disclosure", "format"]
        constraints = [
            models.UniqueConstraint(fields=["disclosure", "format"], name="disclosure_file_format_unique")
        ]

    def __str__(self):
        return f"{self.disclosure} {self.format}"

    @property
    def content_type(self) -> str:
        return FORMAT_CONTENT_TYPES[self.format]
