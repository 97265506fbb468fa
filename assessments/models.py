"""Quantitative service assessment (物业服务量化考核) and repair requests (工单).

- The street office publishes **assessment templates** (sections and items summing to
  100 points) and a **party-weight policy**; both are versioned like the duty list: a
  revision is a new version, an old version is never edited.
- A **round** scores one compound for one quarter. Its scorers are fixed when it opens;
  owners answer a satisfaction **survey** (one answer per unit); objective service data
  is computed. Closing freezes the result (per item, per party, total); the committee
  chair and a community official sign it off, which publishes it. The company may
  object once within 7 days; an upheld objection rescoring makes a new version.
- **Repair requests** are the everyday evidence of service, with time limits,
  reminders and escalation.

The arithmetic is in ``assessments/scoring.py`` and documented in docs/assessments.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Building, Compound, Duty, StreetOffice, Unit

# --------------------------------------------------------------------------- templates


class AssessmentTemplate(models.Model):
    """One version of a street office's assessment template (考核细则)."""

    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.PROTECT, related_name="assessment_templates"
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=100)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason for this version"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("assessment template")
        verbose_name_plural = _("assessment templates")
        ordering = ["street_office", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["street_office", "version"], name="assessment_template_version_unique"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="assessment_template_version_positive"),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"


class TemplateSection(models.Model):
    template = models.ForeignKey(AssessmentTemplate, on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=100)

    class Meta:
        verbose_name = _("template section")
        verbose_name_plural = _("template sections")
        ordering = ["template", "number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_section_number_unique"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class TemplateItem(models.Model):
    """One scored item: maximum points, guidance for scorers and, where it applies, the
    number of the duty (of the 19) it checks in the street office's duty list."""

    template = models.ForeignKey(AssessmentTemplate, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(TemplateSection, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=150)
    guidance = models.TextField(_("scoring guidance"), blank=True)
    max_points = models.PositiveSmallIntegerField(_("maximum points"))
    duty_number = models.PositiveSmallIntegerField(_("duty checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("template item")
        verbose_name_plural = _("template items")
        ordering = ["template", "number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_item_number_unique"),
            models.CheckConstraint(
                condition=Q(max_points__gte=1) & Q(max_points__lte=100), name="template_item_points_sane"
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.title} ({self.max_points})"


class WeightPolicy(models.Model):
    """How much each party's score counts (percent, summing to 100), per street office,
    versioned. Stated on every result."""

    street_office = models.ForeignKey(StreetOffice, on_delete=models.PROTECT, related_name="weight_policies")
    version = models.PositiveIntegerField(_("version"))
    community = models.PositiveSmallIntegerField(_("community and street office (%)"), default=30)
    committee = models.PositiveSmallIntegerField(_("owners' committee (%)"), default=30)
    survey = models.PositiveSmallIntegerField(_("owners' survey (%)"), default=30)
    objective = models.PositiveSmallIntegerField(_("objective service data (%)"), default=10)
    reason = models.CharField(_("reason for this version"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("party-weight policy")
        verbose_name_plural = _("party-weight policies")
        ordering = ["street_office", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["street_office", "version"], name="weight_policy_version_unique"),
            models.CheckConstraint(
                condition=Exact(F("community") + F("committee") + F("survey") + F("objective"), 100),
                name="weight_policy_sums_to_100",
            ),
        ]

    def __str__(self):
        return f"{self.street_office} · v{self.version}"

    def as_dict(self) -> dict[str, int]:
        return {
            "community": self.community,
            "committee": self.committee,
            "survey": self.survey,
            "objective": self.objective,
        }


# --------------------------------------------------------------------------- rounds


class ScoringParty(models.TextChoices):
    # Street-office inspectors score with the community: both are the public side.
    COMMUNITY = "community", _("Community and street office")
    COMMITTEE = "committee", _("Owners' committee")
    SURVEY = "survey", _("Owners' survey")
    OBJECTIVE = "objective", _("Objective service data")


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open for scoring")
    CLOSED = "closed", _("Closed, awaiting sign-off")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded by a rescoring")


class AssessmentRound(models.Model):
    """One compound, one quarter, one version. The template, the weights and the scorers
    are fixed when it opens; the result is frozen when it closes."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="assessment_rounds")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    template = models.ForeignKey(AssessmentTemplate, on_delete=models.PROTECT, related_name="rounds")
    policy = models.ForeignKey(WeightPolicy, on_delete=models.PROTECT, related_name="rounds")
    company = models.ForeignKey(
        "communities.PropertyCompany", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=RoundStatus, default=RoundStatus.OPEN)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateTimeField(_("deadline"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("closed because"), max_length=20, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    rescore_reason = models.TextField(_("reason for the rescoring"), blank=True)
    # The frozen result (scoring.py): total and party scores with two decimals.
    total = models.DecimalField(_("total score"), max_digits=5, decimal_places=2, null=True, blank=True)
    result = models.JSONField(_("frozen result"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("assessment round")
        verbose_name_plural = _("assessment rounds")
        ordering = ["compound", "-year", "-quarter", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "year", "quarter", "version"], name="assessment_round_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="assessment_round_quarter"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_at__isnull=False, total__isnull=False),
                name="assessment_round_closed_has_result",
            ),
            models.CheckConstraint(
                condition=Q(total__isnull=True) | (Q(total__gte=0) & Q(total__lte=100)),
                name="assessment_round_total_0_100",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="assessment_round_due_idx")]

    def __str__(self):
        v = f" v{self.version}" if self.version > 1 else ""
        return f"{self.compound} · {self.year} Q{self.quarter}{v}"

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度"


class RoundScorer(models.Model):
    """A person fixed as a scorer when the round opened, and for which party."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="scorers")
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    party = models.CharField(_("party"), max_length=12, choices=ScoringParty)
    role = models.CharField(_("role"), max_length=30)
    submitted_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scorer")
        verbose_name_plural = _("scorers")
        ordering = ["round", "party", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="round_scorer_once"),
            models.CheckConstraint(
                condition=Q(party__in=["community", "committee"]), name="round_scorer_party"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_party_display()}"


class ItemScore(models.Model):
    """One scorer's points for one item, with a comment (required below half)."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="scores")
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    scorer = models.ForeignKey(RoundScorer, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(TemplateItem, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=1)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        ordering = ["round", "scorer", "item__number"]
        constraints = [
            models.UniqueConstraint(fields=["scorer", "item"], name="item_score_once"),
            models.CheckConstraint(condition=Q(points__gte=0), name="item_score_not_negative"),
        ]

    def __str__(self):
        return f"{self.item_id}: {self.points}"


def _photo_path(instance, filename):
    return f"assessments/{instance.compound_id}/{filename}"


class EvidencePhoto(models.Model):
    """A photo attached to a low score or to a repair request (type checked by its bytes)."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    score = models.ForeignKey(
        ItemScore, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    repair = models.ForeignKey(
        "RepairRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(upload_to=_photo_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=False, repair__isnull=True)
                | Q(score__isnull=True, repair__isnull=False),
                name="evidence_photo_one_subject",
            ),
        ]

    def __str__(self):
        return self.original_name


class SurveyAnswer(models.Model):
    """Owners' satisfaction: one answer per unit and round, by an owner of that unit;
    changeable until the round closes; never shown with a name."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="survey_answers")
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(_("satisfaction (1–5)"))
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["round", "unit"], name="survey_one_answer_per_unit"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="survey_rating_1_5"),
        ]

    def __str__(self):
        return f"{self.round_id} · {self.unit_id}: {self.rating}"


class SignoffRole(models.TextChoices):
    CHAIR = "chair", _("Committee chair")
    OFFICIAL = "official", _("Community official")


class RoundSignoff(models.Model):
    """The committee chair's and a community official's sign-off, behind step-up."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="signoffs")
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("signed as"), max_length=10, choices=SignoffRole)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    second_factor = models.CharField(_("second factor"), max_length=10)
    second_factor_at = models.DateTimeField()
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        constraints = [
            models.UniqueConstraint(fields=["round", "role"], name="round_signoff_once_per_role"),
            models.UniqueConstraint(fields=["round", "signer"], name="round_signoff_once_per_person"),
            models.CheckConstraint(
                condition=Q(second_factor__in=["totp", "webauthn"]), name="round_signoff_strong_factor"
            ),
        ]

    def __str__(self):
        return f"{self.round_id} · {self.get_role_display()}"


class ObjectionDecision(models.TextChoices):
    PENDING = "pending", _("Waiting for the street office")
    UPHELD = "upheld", _("Upheld: rescored")
    DISMISSED = "dismissed", _("Dismissed")


class Objection(models.Model):
    """The company's one objection to a published round (within 7 days)."""

    round = models.OneToOneField(AssessmentRound, on_delete=models.PROTECT, related_name="objection")
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lodged_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(_("reason"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=ObjectionDecision, default=ObjectionDecision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="pending") | Q(decided_at__isnull=False, decided_by__isnull=False),
                name="objection_decided_has_who_when",
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.get_decision_display()}"


class DutyCheck(models.Model):
    """A check of one duty of the compound's list (minimal: no duty-check record existed
    elsewhere). Objective data counts the company's duties checked in the period."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    duty = models.ForeignKey(Duty, on_delete=models.PROTECT, related_name="checks")
    checked_on = models.DateField(_("checked on"), default=timezone.localdate)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ok = models.BooleanField(_("done as the list says"), default=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("duty check")
        verbose_name_plural = _("duty checks")
        indexes = [models.Index(fields=["compound", "checked_on"], name="duty_check_period_idx")]

    def __str__(self):
        return f"{self.duty} · {self.checked_on}"


# --------------------------------------------------------------------------- repairs


class RepairKind(models.TextChoices):
    REPAIR = "repair", _("Repair")
    COMPLAINT = "complaint", _("Complaint")


class RepairCategory(models.TextChoices):
    PLUMBING = "plumbing", _("Water and leaks")
    ELECTRICAL = "electrical", _("Electricity and lighting")
    LIFT = "lift", _("Lift")
    BUILDING = "building", _("Walls, roofs and doors")
    CLEANING = "cleaning", _("Cleaning and rubbish")
    GREENING = "greening", _("Greening")
    SAFETY = "safety", _("Order and safety")
    PARKING = "parking", _("Parking")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    URGENT = "urgent", _("Urgent (24 hours)")
    NORMAL = "normal", _("Normal (72 hours)")


class RepairStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("Being fixed")
    DONE = "done", _("Fixed, waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")


class RepairRequest(models.Model):
    """工单: a repair or complaint about a unit or a common area, followed until the
    reporter confirms it fixed and rates it."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="repair_requests")
    kind = models.CharField(_("kind"), max_length=10, choices=RepairKind, default=RepairKind.REPAIR)
    category = models.CharField(_("category"), max_length=12, choices=RepairCategory)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency, default=Urgency.NORMAL)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    location = models.CharField(_("common area"), max_length=100, blank=True)
    description = models.TextField(_("what is wrong"))
    from_patrol = models.BooleanField(_("found on a patrol"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=RepairStatus, default=RepairStatus.REPORTED)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    due_at = models.DateTimeField(_("to be fixed by"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating (1–5)"), null=True, blank=True)
    rating_comment = models.TextField(_("comment on the repair"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("repair request")
        verbose_name_plural = _("repair requests")
        ordering = ["-reported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | ~Q(location=""), name="repair_has_unit_or_location"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="repair_rating_1_5"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(status="confirmed"), name="repair_rated_only_confirmed"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["done", "confirmed"]) | Q(done_at__isnull=False),
                name="repair_done_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["compound", "reported_at"], name="repair_compound_time_idx"),
            models.Index(fields=["status", "due_at"], name="repair_open_due_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_category_display()}"

    @property
    def place(self) -> str:
        if self.unit_id:
            return self.unit.label
        return f"{self.building.name if self.building_id else ''}{self.location}"

    @property
    def masked_place(self) -> str:
        if self.unit_id:
            return self.unit.masked_label
        return f"{self.building.name if self.building_id else ''}{self.location}"

    @property
    def is_open(self) -> bool:
        return self.status not in (RepairStatus.DONE, RepairStatus.CONFIRMED)


class RepairEvent(models.Model):
    """The request's history as its reporter and the staff see it."""

    request = models.ForeignKey(RepairRequest, on_delete=models.CASCADE, related_name="events")
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.request_id} {self.action}"


ZERO = Decimal("0")
