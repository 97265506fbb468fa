"""REST API of the tenancy, the parties and the duty list (mounted under /api/v1/).

The views are thin: they find the compound through ``communities.permissions``, read
through selectors or compound-scoped querysets, write only through
``communities.services`` and render with ``communities.serializers``. Every failure
leaves as ``{"message", "extra"}`` (``common.api.exception_handler``).

Who gets which refusal:

* anonymous on a private endpoint → 403 “not authenticated” (session auth sends no
  ``WWW-Authenticate`` challenge, so DRF answers 403, never 401);
* a compound, or a row in it, that the user may not *read* → 404 with the same body
  as a slug or id that does not exist (tenant isolation: guessing reveals nothing);
* something the user may read but not change → 403 naming the capability, which
  tells them nothing they could not already see.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.stepup import second_factor_from_code, second_factor_from_session
from common.api import error_responses
from common.errors import NotFoundError
from communities import selectors, services
from communities.filters import MAX_ID, MembershipFilter, UnitFilter
from communities.models import (
    ROLE_PARTY,
    Compound,
    DutyListVersion,
    Membership,
    Party,
    RoleGrant,
    Unit,
)
from communities.permissions import SIGNING_ROLES, Capability, compound_for_api, standing_in
from communities.serializers import (
    BuildingCreateSerializer,
    BuildingSerializer,
    CompoundPublicSerializer,
    DutyListReviseSerializer,
    DutyListSerializer,
    DutyListVersionSummarySerializer,
    MembershipCreateSerializer,
    MembershipEndSerializer,
    MembershipSerializer,
    RoleGrantConfirmSerializer,
    RoleGrantSerializer,
    StandingSerializer,
    UnitCreateSerializer,
    UnitSerializer,
    UnitUpdateSerializer,
)

# --------------------------------------------------------------------------- plumbing


def _not_found() -> NotFoundError:
    # One body for "missing" and "not yours", wherever it is raised.
    return NotFoundError(_("Not found."))


def _get_in(queryset, **lookup):
    """``queryset.get(**lookup)`` or the 404 of a missing row. The queryset is already
    scoped to the compound, so another compound's id is simply missing here."""
    if any(isinstance(v, int) and not 0 < v <= MAX_ID for v in lookup.values()):
        raise _not_found()  # would overflow the database's integer, not just miss
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise _not_found()
    return obj


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _errors(*codes: int) -> dict:
    descriptions = {
        400: "Invalid input; extra.fields names each field with its messages.",
        403: "Not logged in, or (for a member) the roles lack the capability named in extra.capability.",
        404: "No such compound or object — or one this user may not see (indistinguishable).",
        409: "The request conflicts with the current state (e.g. a newer duty list version was saved).",
    }
    return error_responses(descriptions, *codes)


# Path parameters as the URL converters accept them (``slug`` and ``int``), so that
# clients and generated tests send values that reach the view.
SLUG = OpenApiParameter(
    "slug",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[-a-zA-Z0-9_]+$",
    description="The compound's slug, e.g. shangcheng",
)


def _id_param(name: str, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(
        name, {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description=description
    )


# --------------------------------------------------------------------------- compounds


class CompoundListApi(GenericAPIView):
    """Every compound, with what its public page shows."""

    permission_classes = [AllowAny]
    serializer_class = CompoundPublicSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.public_compounds_with_facts()

    @extend_schema(
        operation_id="compound_list",
        tags=["compounds"],
        responses={200: CompoundPublicSerializer(many=True), **_errors(404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CompoundDetailApi(APIView):
    """One compound's public facts: community, street office, property company and
    contract period, number of stewards."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="compound_retrieve",
        tags=["compounds"],
        parameters=[SLUG],
        responses={200: CompoundPublicSerializer, **_errors(404)},
    )
    def get(self, request, slug):
        compound = _get_in(selectors.public_compounds_with_facts(), slug=slug)
        return Response(CompoundPublicSerializer(compound).data)


class CompoundMeApi(APIView):
    """My roles in this compound and the capabilities they give (empty for a non-member)."""

    @extend_schema(
        operation_id="compound_me",
        tags=["compounds"],
        parameters=[SLUG],
        responses={200: StandingSerializer, **_errors(403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=None)
        return Response(StandingSerializer(standing_in(request.user, compound)).data)


# --------------------------------------------------------------------------- buildings


class BuildingListCreateApi(GenericAPIView):
    """Buildings (楼栋) of the compound: members read them; those who manage units
    (community officials, the property manager, street-office admins) add them."""

    serializer_class = BuildingSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="building_list",
        tags=["buildings & units"],
        parameters=[SLUG],
        responses={200: BuildingSerializer(many=True), **_errors(403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.VIEW_MEMBERS_AREA)
        page = self.paginate_queryset(selectors.buildings_of(compound))
        return self.get_paginated_response(BuildingSerializer(page, many=True).data)

    @extend_schema(
        operation_id="building_create",
        tags=["buildings & units"],
        parameters=[SLUG],
        request=BuildingCreateSerializer,
        responses={201: BuildingSerializer, **_errors(400, 403, 404)},
    )
    def post(self, request, slug):
        compound, _standing = compound_for_api(
            request.user, slug, see=Capability.VIEW_MEMBERS_AREA, act=Capability.MANAGE_UNITS
        )
        data = _valid(BuildingCreateSerializer, request)
        building = services.building_create(compound=compound, actor=request.user, **data)
        return Response(BuildingSerializer(building).data, status=status.HTTP_201_CREATED)


class BuildingDetailApi(APIView):
    """One building of the compound."""

    @extend_schema(
        operation_id="building_retrieve",
        tags=["buildings & units"],
        parameters=[SLUG, _id_param("building_id")],
        responses={200: BuildingSerializer, **_errors(403, 404)},
    )
    def get(self, request, slug, building_id: int):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.VIEW_MEMBERS_AREA)
        return Response(BuildingSerializer(_get_in(selectors.buildings_of(compound), pk=building_id)).data)


# --------------------------------------------------------------------------- units


class UnitListCreateApi(GenericAPIView):
    """Flats (户) of the compound with their floor areas — never their owners. Read by
    the committee, the company, the community and the street office; residents see
    their own flat on their pages, not everybody's."""

    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    # Names the model for the filters and the schema only; rows always come from
    # selectors.units_of(compound) after the compound was checked.
    queryset = Unit.objects.none()

    @extend_schema(
        operation_id="unit_list",
        tags=["buildings & units"],
        parameters=[SLUG],
        responses={200: UnitSerializer(many=True), **_errors(400, 403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.VIEW_UNITS)
        page = self.paginate_queryset(self.filter_queryset(selectors.units_of(compound)))
        return self.get_paginated_response(UnitSerializer(page, many=True).data)

    @extend_schema(
        operation_id="unit_create",
        tags=["buildings & units"],
        parameters=[SLUG],
        request=UnitCreateSerializer,
        responses={201: UnitSerializer, **_errors(400, 403, 404)},
    )
    def post(self, request, slug):
        compound, _standing = compound_for_api(
            request.user, slug, see=Capability.VIEW_UNITS, act=Capability.MANAGE_UNITS
        )
        serializer = UnitCreateSerializer(data=request.data, context={"compound": compound})
        serializer.is_valid(raise_exception=True)
        unit = services.unit_create(actor=request.user, **serializer.validated_data)
        return Response(UnitSerializer(unit).data, status=status.HTTP_201_CREATED)


class UnitDetailApi(APIView):
    """One flat; a change of floor area changes the fees billed from then on, so it
    is audited with the value before and after."""

    @extend_schema(
        operation_id="unit_retrieve",
        tags=["buildings & units"],
        parameters=[SLUG, _id_param("unit_id")],
        responses={200: UnitSerializer, **_errors(403, 404)},
    )
    def get(self, request, slug, unit_id: int):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.VIEW_UNITS)
        return Response(UnitSerializer(_get_in(selectors.units_of(compound), pk=unit_id)).data)

    @extend_schema(
        operation_id="unit_update",
        tags=["buildings & units"],
        parameters=[SLUG, _id_param("unit_id")],
        request=UnitUpdateSerializer,
        responses={200: UnitSerializer, **_errors(400, 403, 404)},
    )
    def patch(self, request, slug, unit_id: int):
        compound, _standing = compound_for_api(
            request.user, slug, see=Capability.VIEW_UNITS, act=Capability.MANAGE_UNITS
        )
        unit = _get_in(selectors.units_of(compound), pk=unit_id)
        changes = _valid(UnitUpdateSerializer, request)
        if changes:
            unit = services.unit_update(unit=unit, actor=request.user, **changes)
        return Response(UnitSerializer(unit).data)


# --------------------------------------------------------------------------- duties


class DutyListApi(APIView):
    """The compound's current tripartite duty list (三方权责清单): public to read;
    revising it makes a new version."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        operation_id="duty_list_current",
        tags=["duties"],
        parameters=[SLUG],
        responses={200: DutyListSerializer, **_errors(404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=None)
        duty_list = selectors.current_duty_list(compound)
        if duty_list is None:  # every compound gets one on creation; be safe anyway
            raise _not_found()
        return Response(DutyListSerializer(duty_list).data)

    @extend_schema(
        operation_id="duty_list_revise",
        tags=["duties"],
        parameters=[SLUG],
        request=DutyListReviseSerializer,
        responses={201: DutyListSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=None, act=Capability.EDIT_DUTIES)
        data = _valid(DutyListReviseSerializer, request)
        version = services.duty_list_revise(
            compound=compound,
            items=data["duties"],
            reason=data["reason"],
            actor=request.user,
            based_on_version=data.get("based_on"),
        )
        return Response(DutyListSerializer(version).data, status=status.HTTP_201_CREATED)


class DutyListVersionListApi(GenericAPIView):
    """Every version of the compound's duty list, newest first."""

    permission_classes = [AllowAny]
    serializer_class = DutyListVersionSummarySerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="duty_list_version_list",
        tags=["duties"],
        parameters=[SLUG],
        responses={200: DutyListVersionSummarySerializer(many=True), **_errors(404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=None)
        versions = selectors.duty_list_versions(compound).select_related("based_on")
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(DutyListVersionSummarySerializer(page, many=True).data)


class DutyListVersionDetailApi(APIView):
    """One version of the duty list, as it was published."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="duty_list_version_retrieve",
        tags=["duties"],
        parameters=[SLUG, _id_param("version", "Version number, 1 for the list the compound started with.")],
        responses={200: DutyListSerializer, **_errors(404)},
    )
    def get(self, request, slug, version: int):
        compound, _standing = compound_for_api(request.user, slug, see=None)
        versions = DutyListVersion.objects.filter(compound=compound).prefetch_related("duties")
        return Response(DutyListSerializer(_get_in(versions, version=version)).data)


# --------------------------------------------------------------------------- memberships
# For the street office only: who holds which role in the compound. Phones masked.


class MembershipListCreateApi(GenericAPIView):
    """Who holds which role in the compound (phones masked); the street office gives
    roles here by the person's registered mobile number."""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    queryset = Membership.objects.none()  # for the filters and the schema; see UnitListCreateApi

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        operation_id="membership_list",
        tags=["memberships"],
        parameters=[SLUG],
        responses={200: MembershipSerializer(many=True), **_errors(400, 403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.MANAGE_MEMBERSHIPS)
        page = self.paginate_queryset(self.filter_queryset(selectors.memberships_in(compound)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="membership_create",
        tags=["memberships"],
        parameters=[SLUG],
        request=MembershipCreateSerializer,
        description=(
            "A role that signs payouts (committee member or chair, community official or "
            "secretary) is not given at once: the answer is 202 with the request, which "
            "another street-office admin confirms (role-grants/{id}/confirm/). Nobody "
            "gives a role to themselves (403)."
        ),
        responses={
            201: MembershipSerializer,
            202: RoleGrantSerializer,
            **_errors(400, 403, 404),
        },
    )
    def post(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.MANAGE_MEMBERSHIPS)
        data = _valid(MembershipCreateSerializer, request)
        user = User.objects.filter(phone=data.pop("phone")).first()
        if user is None:
            raise serializers.ValidationError({"phone": [_("No account uses this phone number.")]})
        organisation = _organisation_in(compound, data["role"])
        if data["role"] in SIGNING_ROLES:
            # A role that signs payouts waits for a second person (role_grant_confirm).
            grant = services.role_grant_request(user=user, actor=request.user, **organisation, **data)
            return Response(RoleGrantSerializer(grant).data, status=status.HTTP_202_ACCEPTED)
        membership = services.membership_create(user=user, actor=request.user, **organisation, **data)
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)


def _organisation_in(compound: Compound, role: str) -> dict:
    """The organisation a role given *in this compound* belongs to: the compound itself
    for owners' representatives, the committee and stewards; the compound's community,
    or its current property company, narrowed to this compound for the other two parties."""
    party = ROLE_PARTY[role]
    if party == Party.COMMUNITY:
        return {"community": compound.community, "compound": compound}
    if party == Party.COMPANY:
        contract = selectors.active_contract(compound)
        if contract is None:
            raise serializers.ValidationError(
                {"role": [_("This compound has no active service contract, so no property company to join.")]}
            )
        return {"company": contract.company, "compound": compound}
    return {"compound": compound}


class MembershipDetailApi(APIView):
    """One role held in the compound."""

    @extend_schema(
        operation_id="membership_retrieve",
        tags=["memberships"],
        parameters=[SLUG, _id_param("membership_id")],
        responses={200: MembershipSerializer, **_errors(403, 404)},
    )
    def get(self, request, slug, membership_id: int):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.MANAGE_MEMBERSHIPS)
        membership = _get_in(selectors.memberships_in(compound), pk=membership_id)
        return Response(MembershipSerializer(membership, context={"today": timezone.localdate()}).data)


class MembershipEndApi(APIView):
    """End a role (the person leaves the committee, the company, …). The row stays, with
    its end date, so past signatures and minutes still name who held the role."""

    @extend_schema(
        operation_id="membership_end",
        tags=["memberships"],
        parameters=[SLUG, _id_param("membership_id")],
        request=MembershipEndSerializer,
        responses={200: MembershipSerializer, **_errors(400, 403, 404)},
    )
    def post(self, request, slug, membership_id: int):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.MANAGE_MEMBERSHIPS)
        membership = _get_in(selectors.memberships_in(compound), pk=membership_id)
        data = _valid(MembershipEndSerializer, request)
        membership = services.membership_end(
            membership=membership, end_date=data["end_date"], actor=request.user
        )
        return Response(MembershipSerializer(membership, context={"today": timezone.localdate()}).data)


# --------------------------------------------------------------------------- signing roles: two people


class RoleGrantListApi(GenericAPIView):
    """Requests for signing roles in the compound, newest first, for the street office."""

    serializer_class = RoleGrantSerializer
    queryset = RoleGrant.objects.none()

    @extend_schema(
        operation_id="role_grant_list",
        tags=["memberships"],
        parameters=[SLUG],
        responses={200: RoleGrantSerializer(many=True), **_errors(403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.MANAGE_MEMBERSHIPS)
        page = self.paginate_queryset(selectors.role_grants_in(compound))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RoleGrantConfirmApi(APIView):
    @extend_schema(
        operation_id="role_grant_confirm",
        tags=["memberships"],
        parameters=[SLUG, _id_param("grant_id")],
        request=RoleGrantConfirmSerializer,
        description=(
            "A second street-office admin — not the one who asked, not the one who receives "
            "the role — confirms it with a fresh second factor; the membership starts now."
        ),
        responses={
            201: MembershipSerializer,
            **_errors(400, 403, 404, 409),
        },
    )
    def post(self, request, slug, grant_id: int):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.MANAGE_MEMBERSHIPS)
        grant = _get_in(selectors.role_grants_in(compound), pk=grant_id)
        data = _valid(RoleGrantConfirmSerializer, request)
        if data["totp"]:
            second_factor = second_factor_from_code(request.user, data["totp"])
        else:
            second_factor = second_factor_from_session(request._request)
        membership = services.role_grant_confirm(grant=grant, actor=request.user, second_factor=second_factor)
        return Response(
            MembershipSerializer(membership, context={"today": timezone.localdate()}).data,
            status=status.HTTP_201_CREATED,
        )


class RoleGrantCancelApi(APIView):
    @extend_schema(
        operation_id="role_grant_cancel",
        tags=["memberships"],
        parameters=[SLUG, _id_param("grant_id")],
        request=None,
        description="The person who asked withdraws the request, or another street-office admin refuses it.",
        responses={200: RoleGrantSerializer, **_errors(403, 404, 409)},
    )
    def post(self, request, slug, grant_id: int):
        compound, _standing = compound_for_api(request.user, slug, see=Capability.MANAGE_MEMBERSHIPS)
        grant = _get_in(selectors.role_grants_in(compound), pk=grant_id)
        grant = services.role_grant_cancel(grant=grant, actor=request.user)
        return Response(RoleGrantSerializer(grant).data)
