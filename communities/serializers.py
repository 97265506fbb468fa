"""API representations of the tenancy, the parties and the duty list.

Output serializers only shape data that the caller may already see (the views check
that); input serializers only parse and type-check. Every rule of the scheme — floor
areas, unique unit numbers, a duty list numbered 1..N, membership dates — is checked
once, in ``communities.services``, and its ValidationError names the field.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.phone import normalize_phone
from communities.models import (
    Building,
    Cadence,
    Compound,
    Duty,
    DutyListVersion,
    Membership,
    Party,
    Role,
    RoleGrant,
    Unit,
)

# --------------------------------------------------------------------------- compounds


class ServiceContractPublicSerializer(serializers.Serializer):
    company = serializers.CharField(source="company.name")
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)


class CompoundPublicSerializer(serializers.ModelSerializer):
    """What anybody may know about a compound (the public compound page)."""

    community = serializers.CharField(source="community.name")
    street_office = serializers.CharField(source="community.street_office.name")
    contract = serializers.SerializerMethodField(help_text=_("The active service contract, if any."))
    steward_count = serializers.IntegerField(help_text=_("Stewards (桂乡管家) serving now."))

    class Meta:
        model = Compound
        fields = [
            "slug",
            "name",
            "address",
            "is_pilot",
            "community",
            "street_office",
            "contract",
            "steward_count",
        ]

    @extend_schema_field(ServiceContractPublicSerializer(allow_null=True))
    def get_contract(self, compound):
        # ``active_contracts`` is prefetched by the view (one query for the whole page).
        contract = next(iter(compound.active_contracts), None)
        return ServiceContractPublicSerializer(contract).data if contract else None


class HeldRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    label = serializers.CharField()


class StandingSerializer(serializers.Serializer):
    """My roles in one compound and what they let me do."""

    compound = serializers.SlugField(source="compound.slug")
    roles = serializers.SerializerMethodField()
    capabilities = serializers.SerializerMethodField()

    @extend_schema_field(HeldRoleSerializer(many=True))
    def get_roles(self, standing):
        return [{"role": role, "label": str(Role(role).label)} for role in sorted(standing.roles)]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_capabilities(self, standing):
        return sorted(str(c) for c in standing.capabilities)


# --------------------------------------------------------------------------- buildings and units


class BuildingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = ["id", "name", "sort_key"]


class BuildingCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    sort_key = serializers.IntegerField(min_value=0, max_value=2_147_483_647, default=0)


class UnitSerializer(serializers.ModelSerializer):
    """A flat. Deliberately without owners: who owns which flat is not for this list."""

    building_name = serializers.CharField(source="building.name", read_only=True)
    label = serializers.CharField(read_only=True, help_text=_("e.g. 1栋1单元101"))

    class Meta:
        model = Unit
        fields = ["id", "building", "building_name", "entrance", "number", "floor_area", "label"]


class UnitCreateSerializer(serializers.Serializer):
    building = serializers.PrimaryKeyRelatedField(queryset=Building.objects.none())
    entrance = serializers.CharField(max_length=20)
    number = serializers.CharField(max_length=20)
    # Range checks (> 0, ≤ 2000 m²) are the service's, so the API and the forms agree.
    floor_area = serializers.DecimalField(max_digits=7, decimal_places=2, help_text=_("m², 0.01–2000"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Another compound's building answers like one that does not exist.
        compound = self.context.get("compound")
        self.fields["building"].queryset = (
            Building.objects.filter(compound=compound) if compound else Building.objects.none()
        )


class UnitUpdateSerializer(serializers.Serializer):
    entrance = serializers.CharField(max_length=20, required=False)
    number = serializers.CharField(max_length=20, required=False)
    floor_area = serializers.DecimalField(
        max_digits=7, decimal_places=2, required=False, help_text=_("m², 0.01–2000")
    )


# --------------------------------------------------------------------------- duties

DUTY_PARTIES = [
    (Party.COMMUNITY.value, Party.COMMUNITY.label),
    (Party.COMMITTEE.value, Party.COMMITTEE.label),
    (Party.COMPANY.value, Party.COMPANY.label),
]


class DutySerializer(serializers.ModelSerializer):
    parties = serializers.ListField(child=serializers.ChoiceField(choices=DUTY_PARTIES))
    cadence_label = serializers.CharField(source="get_cadence_display")

    class Meta:
        model = Duty
        fields = ["number", "title", "description", "parties", "cadence", "cadence_label"]


class DutyGroupSerializer(serializers.Serializer):
    # All parties, not just the three of DUTY_PARTIES: one "party" enum in the schema.
    party = serializers.ChoiceField(choices=Party.choices)
    label = serializers.CharField()
    numbers = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("Numbers of the duties this party answers for.")
    )


class DutyListVersionSummarySerializer(serializers.ModelSerializer):
    duty_count = serializers.IntegerField(source="n")
    based_on_version = serializers.SerializerMethodField()

    class Meta:
        model = DutyListVersion
        fields = ["version", "reason", "created_at", "duty_count", "based_on_version"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_based_on_version(self, version):
        # Only a compound's own earlier version is worth naming; the street-office
        # template it was copied from is a different list.
        based_on = version.based_on
        return based_on.version if based_on and based_on.compound_id == version.compound_id else None


class DutyListSerializer(serializers.ModelSerializer):
    """One version of a compound's duty list: flat (``duties``) and grouped by party
    (``groups``; a duty shared by several parties is listed under each)."""

    duties = DutySerializer(many=True)
    groups = serializers.SerializerMethodField()

    class Meta:
        model = DutyListVersion
        fields = ["version", "reason", "created_at", "duties", "groups"]

    @extend_schema_field(DutyGroupSerializer(many=True))
    def get_groups(self, version):
        duties = list(version.duties.all())
        return [
            {
                "party": party,
                "label": str(label),
                "numbers": [d.number for d in duties if party in d.parties],
            }
            for party, label in DUTY_PARTIES
        ]


class DutyItemInputSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=32767)
    title = serializers.CharField(max_length=100)
    description = serializers.CharField()
    # May be empty here so that the service names the item (“duties[3]”) in its error.
    parties = serializers.ListField(child=serializers.ChoiceField(choices=DUTY_PARTIES), allow_empty=True)
    cadence = serializers.ChoiceField(choices=Cadence.choices)

    def to_internal_value(self, data):
        item = super().to_internal_value(data)
        parties = set(item.pop("parties"))
        item["by_community"] = Party.COMMUNITY in parties
        item["by_committee"] = Party.COMMITTEE in parties
        item["by_company"] = Party.COMPANY in parties
        return item


class DutyListReviseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    duties = DutyItemInputSerializer(many=True, allow_empty=True)
    based_on = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The version the client edited; a newer version saved meanwhile answers 409.",
    )

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(_item_errors_by_row(exc.detail)) from None


def _item_errors_by_row(detail):
    """DRF reports a bad item as ``{"duties": {1: {...}}}`` (0-based); the service names
    rows ``duties[2]`` (1-based, as people count). Use the service's names everywhere."""
    if not isinstance(detail, dict) or "duties" not in detail:
        return detail
    items = detail["duties"]
    if isinstance(items, list) and any(isinstance(item, dict) for item in items):
        items = dict(enumerate(items))
    if not isinstance(items, dict):
        return detail  # a message about the list as a whole ("expected a list")
    out = {key: value for key, value in detail.items() if key != "duties"}
    for index, errors in items.items():
        if errors:
            out[f"duties[{int(index) + 1}]"] = errors
    return out


# --------------------------------------------------------------------------- memberships


class MemberSerializer(serializers.Serializer):
    name = serializers.CharField(source="display_name")
    phone = serializers.CharField(source="masked_phone", help_text=_("Masked, e.g. 138****8000."))


class MembershipSerializer(serializers.ModelSerializer):
    user = MemberSerializer()
    party_label = serializers.CharField(source="get_party_display")
    role_label = serializers.CharField(source="get_role_display")
    organisation = serializers.SerializerMethodField()
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = [
            "id",
            "user",
            "party",
            "party_label",
            "role",
            "role_label",
            "organisation",
            "title",
            "start_date",
            "end_date",
            "is_active",
        ]

    def get_organisation(self, membership) -> str:
        return str(membership.organisation)

    def get_is_active(self, membership) -> bool:
        return membership.is_active_on(self.context["today"])


class RoleGrantSerializer(serializers.ModelSerializer):
    """A signing role waiting for (or given by, or refused by) a second person."""

    user = MemberSerializer()
    role_label = serializers.CharField(source="get_role_display")
    status_label = serializers.CharField(source="get_status_display")
    organisation = serializers.SerializerMethodField()
    requested_by = MemberSerializer(allow_null=True)
    decided_by = MemberSerializer(allow_null=True)

    class Meta:
        model = RoleGrant
        fields = [
            "id",
            "user",
            "role",
            "role_label",
            "organisation",
            "title",
            "start_date",
            "end_date",
            "status",
            "status_label",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "membership",
        ]

    def get_organisation(self, grant) -> str:
        return str(grant.organisation)


class RoleGrantConfirmSerializer(serializers.Serializer):
    totp = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=16,
        help_text=_(
            "The authenticator code now; without it the session's recent TOTP/WebAuthn check is used."
        ),
    )


# Roles a street office gives *in a compound*. Street-office roles belong to the
# street office itself and owners come from owner ↔ unit links, so neither is here.
COMPOUND_ROLES = [
    Role.OWNER_REP,
    Role.COMMITTEE_MEMBER,
    Role.COMMITTEE_CHAIR,
    Role.COMPANY_STAFF,
    Role.COMPANY_MANAGER,
    Role.COMMUNITY_OFFICIAL,
    Role.COMMUNITY_SECRETARY,
    Role.STEWARD,
]


class MembershipCreateSerializer(serializers.Serializer):
    phone = serializers.CharField(
        max_length=32, help_text=_("The person's registered mobile number, e.g. 138 0013 8000.")
    )
    # All roles in the schema's one "role" enum; validate_role narrows them.
    role = serializers.ChoiceField(choices=Role.choices)
    title = serializers.CharField(max_length=50, required=False, default="", allow_blank=True)
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    end_date = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_role(self, value: str) -> str:
        if value not in COMPOUND_ROLES:
            raise serializers.ValidationError(
                _(
                    "“%(role)s” is not given in a compound (owners come from their units; street-office roles from the street office)."
                )
                % {"role": Role(value).label}
            )
        return value

    def validate_phone(self, value: str) -> str:
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class MembershipEndSerializer(serializers.Serializer):
    end_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=_("Last day of the role; today if omitted.")
    )
