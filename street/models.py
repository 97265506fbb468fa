"""The street office's dashboard: per-compound monthly rollups and the flags.

Rollups are derived data: a Celery beat job (and the refresh button) recomputes them from
the apps' own selectors and the source tables, so the dashboard never scans the ledger on
a request. Flags are derived too, but a person's decision on one (acknowledge / dismiss,
with a reason) is kept across refreshes: a flag is identified by its ``key``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Compound, StreetOffice
from escrow.fees.selectors import RateRow


class StreetDashboard(models.Model):
    """One per street office: the slug of its dashboard URL and when it was last refreshed."""

    street_office = models.OneToOneField(StreetOffice, on_delete=models.PROTECT, related_name="dashboard")
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    rollups_refreshed_at = models.DateTimeField(_("figures refreshed at"), null=True, blank=True)
    flags_refreshed_at = models.DateTimeField(_("flags refreshed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("street dashboard")
        verbose_name_plural = _("street dashboards")

    def __str__(self):
        return self.slug


class CompoundMonth(models.Model):
    """One compound's figures for one month (``month`` is its first day). Flow figures
    (billed, received, income, costs, meetings) are the month's; stock figures (balance,
    waiting payouts, open repairs, stewards …) are as of the month's end — or as of the
    refresh for the current month. NULL means "no data", never zero."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="street_months")
    month = models.DateField(_("month"))
    billed_fen = models.BigIntegerField(default=0)
    received_fen = models.BigIntegerField(default=0)  # identified fee payments (the collection rate's)
    money_in_fen = models.BigIntegerField(default=0)  # every fee payment, unidentified ones too
    income_fen = models.BigIntegerField(default=0)
    necessary_costs_fen = models.BigIntegerField(default=0)
    other_expenses_fen = models.BigIntegerField(default=0)
    escrow_balance_fen = models.BigIntegerField(null=True, blank=True)
    open_holds_fen = models.BigIntegerField(null=True, blank=True)
    payouts_waiting = models.IntegerField(null=True, blank=True)
    payouts_oldest_days = models.IntegerField(null=True, blank=True)
    disclosure_last = models.CharField(max_length=10, blank=True)  # "2026Q3"
    disclosure_late = models.BooleanField(null=True, blank=True)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    repairs_open = models.IntegerField(null=True, blank=True)
    repairs_overdue = models.IntegerField(null=True, blank=True)
    repairs_median_hours = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    meetings_held = models.IntegerField(default=0)
    topics_resolved = models.IntegerField(default=0)
    action_items_overdue = models.IntegerField(null=True, blank=True)
    stewards = models.IntegerField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("compound month")
        verbose_name_plural = _("compound months")
        ordering = ["compound", "month"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "month"], name="street_rollup_compound_month_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="street_rollup_month_first_day"),
        ]

    def __str__(self):
        return f"{self.compound_id} {self.month:%Y-%m}"

    @property
    def collection_rate(self):
        return RateRow(period=self.month, billed_fen=self.billed_fen, received_fen=self.received_fen).rate


class FlagKind(models.TextChoices):
    SPLIT_PAYOUTS = "split_payouts", _("Split payouts")
    COST_OUTLIER = "cost_outlier", _("Cost per m² far from the other compounds'")
    SIGNATURE_WAITING = "signature_waiting", _("Signature step waiting more than 7 days")
    DISCLOSURE_LATE = "disclosure_late", _("Disclosure not published 15 days after its quarter")
    COLLECTION_FALLING = "collection_falling", _("Collection rate falling three months in a row")
    SHARED_PAYEE_ACCOUNT = "shared_payee_account", _("One payee account used by two companies")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DISMISSED = "dismissed", _("Dismissed")


class Flag(models.Model):
    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="+")
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=FlagKind)
    key = models.CharField(max_length=200)
    evidence = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=20, choices=FlagStatus, default=FlagStatus.OPEN)
    active = models.BooleanField(default=True, help_text="False once the data no longer raises it.")
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    raised_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["compound", "kind", "key"]
        constraints = [
            models.UniqueConstraint(fields=["street_office", "key"], name="street_flag_key_unique"),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(reason=""), name="street_flag_decision_has_reason"
            ),
        ]

    def __str__(self):
        return self.key
