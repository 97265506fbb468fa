"""The tenancy (street office → community → compound) and the three parties.

The compound is the tenant: every tenant-owned row carries ``compound_id`` so that
scoping a query, and one day distributing tables, is by that column alone.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --------------------------------------------------------------------------- parties & roles


class Party(models.TextChoices):
    OWNERS = "owners", _("Owners")
    COMMITTEE = "committee", _("Owners' committee")
    COMPANY = "company", _("Property company")
    COMMUNITY = "community", _("Community")
    VOLUNTEERS = "volunteers", _("Party members and volunteers")
    STREET_OFFICE = "street_office", _("Street office")


class Role(models.TextChoices):
    # OWNER is never stored on a Membership: it follows from an owner ↔ unit link.
    OWNER = "owner", _("Owner")
    OWNER_REP = "owner_rep", _("Owner representative")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")
    COMMITTEE_CHAIR = "committee_chair", _("Committee chair")
    COMPANY_STAFF = "company_staff", _("Property staff")
    COMPANY_MANAGER = "company_manager", _("Property manager")
    COMMUNITY_OFFICIAL = "community_official", _("Community official")
    COMMUNITY_SECRETARY = "community_secretary", _("Community secretary")
    STEWARD = "steward", _("Steward")
    STREET_ADMIN = "street_admin", _("Street-office admin")
    STREET_INSPECTOR = "street_inspector", _("Street-office inspector")


ROLE_PARTY: dict[str, str] = {
    Role.OWNER: Party.OWNERS,
    Role.OWNER_REP: Party.OWNERS,
    Role.COMMITTEE_MEMBER: Party.COMMITTEE,
    Role.COMMITTEE_CHAIR: Party.COMMITTEE,
    Role.COMPANY_STAFF: Party.COMPANY,
    Role.COMPANY_MANAGER: Party.COMPANY,
    Role.COMMUNITY_OFFICIAL: Party.COMMUNITY,
    Role.COMMUNITY_SECRETARY: Party.COMMUNITY,
    Role.STEWARD: Party.VOLUNTEERS,
    Role.STREET_ADMIN: Party.STREET_OFFICE,
    Role.STREET_INSPECTOR: Party.STREET_OFFICE,
}


def _active_q(prefix: str = "", on=None) -> Q:
    """Rows whose [start_date, end_date] covers ``on`` (today by default)."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}start_date__lte": on}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": on})
    )


# --------------------------------------------------------------------------- organisations


class StreetOffice(models.Model):
    """街道办事处: watches all its pilot compounds and owns the duty-list template."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("street office")
        verbose_name_plural = _("street offices")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Community(models.Model):
    """社区 under a street office; its party organisation leads the compounds in it."""

    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street office")
    )
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["street_office", "name"], name="community_name_unique"),
        ]

    def __str__(self):
        return self.name


slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", _("Lower-case letters, digits and single hyphens only.")
)


class Compound(models.Model):
    """小区 — the tenant. Everything private is scoped to one compound."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="compounds", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, validators=[slug_validator])
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_pilot = models.BooleanField(_("co-management pilot"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="compound_name_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def street_office_id(self) -> int:
        return self.community.street_office_id


class Building(models.Model):
    """楼栋."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="buildings")
    name = models.CharField(_("name"), max_length=50, help_text=_("e.g. 3栋"))
    sort_key = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["compound", "sort_key", "name"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "name"], name="building_name_unique"),
        ]

    def __str__(self):
        return self.name


# Floor areas: > 0 and below what a flat in a residential compound can be.
MAX_FLOOR_AREA = Decimal("2000.00")


class Unit(models.Model):
    """户 — a flat, identified by building, entrance (单元) and number; billed by floor area."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="units")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    entrance = models.CharField(_("entrance"), max_length=20, help_text=_("单元, e.g. 2"))
    number = models.CharField(_("number"), max_length=20, help_text=_("e.g. 1502"))
    floor_area = models.DecimalField(
        _("floor area (m²)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_FLOOR_AREA)],
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="UnitOwnership", related_name="owned_units", blank=True
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building__sort_key", "building__name", "entrance", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "entrance", "number"], name="unit_number_unique_in_building"
            ),
            models.CheckConstraint(
                condition=Q(floor_area__gt=0) & Q(floor_area__lte=MAX_FLOOR_AREA),
                name="unit_floor_area_sane",
            ),
        ]

    def __str__(self):
        return f"{self.building.name}{self.entrance}单元{self.number}"

    @property
    def label(self) -> str:
        return str(self)

    @property
    def masked_label(self) -> str:
        """'3栋2单元***' — how a unit appears on public pages."""
        return self.mask(self.building.name, self.entrance)

    @staticmethod
    def mask(building_name: str, entrance: str) -> str:
        """The masked label from its two parts, for reads that fetch only those columns."""
        return f"{building_name}{entrance}单元***"

    @property
    def reference(self) -> str:
        """Payment reference residents write in a bank transfer memo, e.g. 'SCGJ-3-2-1502'."""
        return f"{self.compound.slug.upper()}-{self.building.name}-{self.entrance}-{self.number}"


class UnitOwnership(models.Model):
    """Owner ↔ unit link; a unit may have several owners, a person several units."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="ownerships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="ownerships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ownerships")
    start_date = models.DateField(_("from"), default=timezone.localdate)
    end_date = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit ownership")
        verbose_name_plural = _("unit ownerships")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="ownership_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["unit", "user"], condition=Q(end_date__isnull=True), name="ownership_open_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.unit}"


class PropertyCompany(models.Model):
    """物业服务企业. Serves compounds through service contracts."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[RegexValidator(r"^[0-9A-HJ-NPQRTUWXY]{18}$", _("18 characters, digits and capitals."))],
    )
    has_party_branch = models.BooleanField(_("has a party branch"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ServiceContract(models.Model):
    """物业服务合同. At most one active contract per compound (enforced by the database);
    a handover ends one and starts the next on the following day, so there is no gap."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="contracts")
    company = models.ForeignKey(PropertyCompany, on_delete=models.PROTECT, related_name="contracts")
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    fee_rate_fen = models.PositiveIntegerField(
        _("fee rate (fen per m² per month)"),
        validators=[MinValueValidator(1), MaxValueValidator(5000)],
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["compound", "-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound"], condition=Q(status="active"), name="contract_one_active_per_compound"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="contract_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(fee_rate_fen__gt=0) & Q(fee_rate_fen__lte=5000), name="contract_fee_rate_sane"
            ),
        ]

    def __str__(self):
        return f"{self.compound} · {self.company} ({self.start_date}–{self.end_date or ''})"


class Membership(models.Model):
    """A person's role in one organisation of one party, for a period.

    One person may hold several memberships at once (交叉任职): the same user can be
    a committee member of one compound and a community official. The organisation is
    the one field that the party requires: a street office, a community (optionally
    narrowed to one compound, e.g. the secretary assigned to it), a property company
    (optionally narrowed to the compound its staff work in), or a compound (its
    committee, owners' representatives, stewards).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    party = models.CharField(_("party"), max_length=20, choices=Party)
    role = models.CharField(_("role"), max_length=30, choices=Role)
    street_office = models.ForeignKey(
        StreetOffice, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    company = models.ForeignKey(
        PropertyCompany, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    compound = models.ForeignKey(
        Compound, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    title = models.CharField(_("title"), max_length=50, blank=True, help_text=_("e.g. 主任, 书记"))
    start_date = models.DateField(_("from"), default=timezone.localdate)
    end_date = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["party", "role", "start_date"]
        indexes = [models.Index(fields=["user", "end_date"]), models.Index(fields=["compound", "role"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_end_after_start",
            ),
            models.CheckConstraint(
                condition=(
                    Q(party=Party.OWNERS, role=Role.OWNER_REP)
                    | Q(party=Party.COMMITTEE, role__in=[Role.COMMITTEE_MEMBER, Role.COMMITTEE_CHAIR])
                    | Q(party=Party.COMPANY, role__in=[Role.COMPANY_STAFF, Role.COMPANY_MANAGER])
                    | Q(party=Party.COMMUNITY, role__in=[Role.COMMUNITY_OFFICIAL, Role.COMMUNITY_SECRETARY])
                    | Q(party=Party.VOLUNTEERS, role=Role.STEWARD)
                    | Q(party=Party.STREET_OFFICE, role__in=[Role.STREET_ADMIN, Role.STREET_INSPECTOR])
                ),
                name="membership_role_matches_party",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        party__in=[Party.OWNERS, Party.COMMITTEE, Party.VOLUNTEERS],
                        compound__isnull=False,
                        street_office__isnull=True,
                        community__isnull=True,
                        company__isnull=True,
                    )
                    | Q(
                        party=Party.COMPANY,
                        company__isnull=False,
                        street_office__isnull=True,
                        community__isnull=True,
                    )
                    | Q(
                        party=Party.COMMUNITY,
                        community__isnull=False,
                        street_office__isnull=True,
                        company__isnull=True,
                    )
                    | Q(
                        party=Party.STREET_OFFICE,
                        street_office__isnull=False,
                        community__isnull=True,
                        company__isnull=True,
                        compound__isnull=True,
                    )
                ),
                name="membership_organisation_matches_party",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"

    @property
    def organisation(self):
        return self.street_office or self.company or self.community or self.compound

    def is_active_on(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class RoleGrantStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second person")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Withdrawn or refused")


class RoleGrant(models.Model):
    """A signing role asked for by one person and given only when a second confirms it.

    Committee and community roles sign payouts; whoever manages memberships could
    otherwise hand one to a friend alone (segregation of duties). The request holds
    the membership's fields; ``role_grant_confirm`` creates the membership.
    """

    Status = RoleGrantStatus

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_grants")
    party = models.CharField(_("party"), max_length=20, choices=Party)
    role = models.CharField(_("role"), max_length=30, choices=Role)
    street_office = models.ForeignKey(
        StreetOffice, null=True, blank=True, on_delete=models.PROTECT, related_name="role_grants"
    )
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.PROTECT, related_name="role_grants"
    )
    company = models.ForeignKey(
        PropertyCompany, null=True, blank=True, on_delete=models.PROTECT, related_name="role_grants"
    )
    compound = models.ForeignKey(
        Compound, null=True, blank=True, on_delete=models.PROTECT, related_name="role_grants"
    )
    title = models.CharField(_("title"), max_length=50, blank=True)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RoleGrantStatus, default=RoleGrantStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    membership = models.OneToOneField(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="grant"
    )

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # The database says it too: nobody confirms a grant they asked for or receive.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | (~Q(decided_by=models.F("requested_by")) & ~Q(decided_by=models.F("user"))),
                name="role_grant_second_person",
            ),
            models.CheckConstraint(
                condition=Q(requested_by__isnull=True) | ~Q(requested_by=models.F("user")),
                name="role_grant_not_to_oneself",
            ),
            models.CheckConstraint(
                condition=Q(status="confirmed", membership__isnull=False, decided_by__isnull=False)
                | (Q(status__in=["pending", "cancelled"]) & Q(membership__isnull=True)),
                name="role_grant_confirmed_has_membership",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} ({self.get_status_display()})"

    @property
    def organisation(self):
        return self.street_office or self.company or self.community or self.compound


# --------------------------------------------------------------------------- party structure


class PartyUnit(models.Model):
    """三级组织架构: 社区党组织 → 小区党支部(党小组) → 楼栋党小组."""

    class Level(models.TextChoices):
        COMMUNITY_ORGANISATION = "community", _("Community party organisation")
        COMPOUND_BRANCH = "compound", _("Compound party branch")
        BUILDING_GROUP = "building", _("Building party group")

    level = models.CharField(_("level"), max_length=10, choices=Level)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="party_units")
    compound = models.ForeignKey(
        Compound, null=True, blank=True, on_delete=models.PROTECT, related_name="party_units"
    )
    building = models.ForeignKey(
        Building, null=True, blank=True, on_delete=models.PROTECT, related_name="party_units"
    )
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("party unit")
        verbose_name_plural = _("party units")
        ordering = ["community", "level", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level="community", parent__isnull=True, compound__isnull=True, building__isnull=True)
                    | Q(level="compound", parent__isnull=False, compound__isnull=False, building__isnull=True)
                    | Q(
                        level="building", parent__isnull=False, compound__isnull=False, building__isnull=False
                    )
                ),
                name="party_unit_level_shape",
            ),
        ]

    def __str__(self):
        return self.name


class StewardAssignment(models.Model):
    """A steward (桂乡管家) looks after some buildings of a compound."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="steward_assignments")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="steward_assignments")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="steward_assignments")
    party_unit = models.ForeignKey(
        PartyUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("steward assignment")
        verbose_name_plural = _("steward assignments")
        constraints = [
            models.UniqueConstraint(fields=["membership", "building"], name="steward_building_unique"),
        ]

    def __str__(self):
        return f"{self.membership.user} → {self.building}"


# --------------------------------------------------------------------------- duty list


class Cadence(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    AS_NEEDED = "as_needed", _("As needed")
    ONGOING = "ongoing", _("Ongoing")


class DutyListVersion(models.Model):
    """One version of a tripartite duty list (三方权责清单).

    A street office publishes template versions; each compound gets a copy it may
    revise. Versions are never edited: a revision is a new version with a reason, and
    the compound's current list is its highest version.
    """

    street_office = models.ForeignKey(
        StreetOffice, null=True, blank=True, on_delete=models.PROTECT, related_name="duty_templates"
    )
    compound = models.ForeignKey(
        Compound, null=True, blank=True, on_delete=models.PROTECT, related_name="duty_lists"
    )
    version = models.PositiveIntegerField(_("version"))
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason for this version"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("duty list version")
        verbose_name_plural = _("duty list versions")
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(street_office__isnull=False, compound__isnull=True)
                | Q(street_office__isnull=True, compound__isnull=False),
                name="duty_list_owner_is_office_xor_compound",
            ),
            models.UniqueConstraint(
                fields=["street_office", "version"],
                condition=Q(compound__isnull=True),
                name="duty_template_version_unique",
            ),
            models.UniqueConstraint(
                fields=["compound", "version"],
                condition=Q(street_office__isnull=True),
                name="duty_list_version_unique",
            ),
        ]

    def __str__(self):
        owner = self.compound or self.street_office
        return f"{owner} · v{self.version}"


class Duty(models.Model):
    """One numbered item of a duty list, with the party or parties responsible for it."""

    duty_list = models.ForeignKey(DutyListVersion, on_delete=models.CASCADE, related_name="duties")
    # Denormalised so tenant-scoped queries need no join (null on street-office templates).
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"))
    by_community = models.BooleanField(_("community"), default=False)
    by_committee = models.BooleanField(_("owners' committee"), default=False)
    by_company = models.BooleanField(_("property company"), default=False)
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence)

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["duty_list", "number"]
        constraints = [
            models.UniqueConstraint(fields=["duty_list", "number"], name="duty_number_unique"),
            models.CheckConstraint(
                condition=Q(by_community=True) | Q(by_committee=True) | Q(by_company=True),
                name="duty_has_responsible_party",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="duty_number_positive"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"

    @property
    def parties(self) -> list[str]:
        out = []
        if self.by_community:
            out.append(Party.COMMUNITY)
        if self.by_committee:
            out.append(Party.COMMITTEE)
        if self.by_company:
            out.append(Party.COMPANY)
        return out


# --------------------------------------------------------------------------- audit


class AuditEvent(models.Model):
    """Who did what, to which object, from where — written by services in the same
    transaction as the change itself. Never updated or deleted."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["compound", "created_at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"
