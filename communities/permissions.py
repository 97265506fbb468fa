"""Who may see and do what, in which compound (DESIGN.md §2).

Every private read goes through ``compounds_visible_to`` / ``access_compound`` and
every action checks a capability with ``standing_in(user, compound).can(capability)``.
A compound the user may not see answers exactly like one that does not exist.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from common.errors import NotFoundError
from communities.models import (
    Compound,
    Membership,
    Party,
    Role,
    ServiceContract,
    UnitOwnership,
    _active_q,
)


class Capability(enum.StrEnum):
    VIEW_MEMBERS_AREA = "view_members_area"
    VIEW_FULL_LEDGER = "view_full_ledger"
    VIEW_UNITS = "view_units"
    VIEW_ARREARS = "view_arrears"
    VIEW_MEMBERS_LIST = "view_members_list"
    RECORD_PAYMENT_RECEIVED = "record_payment_received"
    MANAGE_SUSPENSE = "manage_suspense"
    APPLY_PAYOUT = "apply_payout"
    REVIEW_PAYOUT = "review_payout"
    RECHECK_PAYOUT = "recheck_payout"
    RECORD_PAYOUT_PAYMENT = "record_payout_payment"
    RUN_MEETINGS = "run_meetings"
    ATTEND_EXPANDED_MEETING = "attend_expanded_meeting"
    CONVENE_JOINT_MEETING = "convene_joint_meeting"
    KEEP_MINUTES = "keep_minutes"
    FOLLOW_ACTION_ITEMS = "follow_action_items"
    SCORE_COMPANY = "score_company"
    HANDLE_REPAIRS = "handle_repairs"
    REPORT_ISSUES = "report_issues"
    EDIT_DUTIES = "edit_duties"
    MANAGE_MEMBERSHIPS = "manage_memberships"
    MANAGE_UNITS = "manage_units"
    PUBLISH_DISCLOSURE = "publish_disclosure"


C = Capability
_MEMBER = {C.VIEW_MEMBERS_AREA, C.VIEW_FULL_LEDGER}

# The matrix of DESIGN.md §2. Street-office roles are read-only on money.
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: frozenset(_MEMBER | {C.REPORT_ISSUES}),
    Role.OWNER_REP: frozenset(_MEMBER | {C.REPORT_ISSUES, C.ATTEND_EXPANDED_MEETING}),
    Role.COMMITTEE_MEMBER: frozenset(
        _MEMBER
        | {
            C.VIEW_UNITS,
            C.VIEW_ARREARS,
            C.VIEW_MEMBERS_LIST,
            C.REVIEW_PAYOUT,
            C.RUN_MEETINGS,
            C.ATTEND_EXPANDED_MEETING,
            C.SCORE_COMPANY,
            C.FOLLOW_ACTION_ITEMS,
            C.REPORT_ISSUES,
        }
    ),
    Role.COMMITTEE_CHAIR: frozenset(
        _MEMBER
        | {
            C.VIEW_UNITS,
            C.VIEW_ARREARS,
            C.VIEW_MEMBERS_LIST,
            C.REVIEW_PAYOUT,
            C.RUN_MEETINGS,
            C.ATTEND_EXPANDED_MEETING,
            C.SCORE_COMPANY,
            C.FOLLOW_ACTION_ITEMS,
            C.REPORT_ISSUES,
            C.RECORD_PAYOUT_PAYMENT,
        }
    ),
    Role.COMPANY_STAFF: frozenset(
        _MEMBER | {C.VIEW_UNITS, C.VIEW_ARREARS, C.RECORD_PAYMENT_RECEIVED, C.APPLY_PAYOUT, C.HANDLE_REPAIRS}
    ),
    Role.COMPANY_MANAGER: frozenset(
        _MEMBER
        | {
            C.VIEW_UNITS,
            C.VIEW_ARREARS,
            C.VIEW_MEMBERS_LIST,
            C.RECORD_PAYMENT_RECEIVED,
            C.MANAGE_SUSPENSE,
            C.APPLY_PAYOUT,
            C.HANDLE_REPAIRS,
            C.MANAGE_UNITS,
        }
    ),
    Role.COMMUNITY_OFFICIAL: frozenset(
        _MEMBER
        | {
            C.VIEW_UNITS,
            C.VIEW_ARREARS,
            C.VIEW_MEMBERS_LIST,
            C.RECHECK_PAYOUT,
            C.RECORD_PAYOUT_PAYMENT,
            C.RECORD_PAYMENT_RECEIVED,
            C.MANAGE_SUSPENSE,
            C.CONVENE_JOINT_MEETING,
            C.FOLLOW_ACTION_ITEMS,
            C.EDIT_DUTIES,
            C.PUBLISH_DISCLOSURE,
            C.MANAGE_UNITS,
        }
    ),
    Role.COMMUNITY_SECRETARY: frozenset(
        _MEMBER
        | {
            C.VIEW_UNITS,
            C.VIEW_MEMBERS_LIST,
            C.KEEP_MINUTES,
            C.FOLLOW_ACTION_ITEMS,
            C.CONVENE_JOINT_MEETING,
            C.EDIT_DUTIES,
        }
    ),
    Role.STEWARD: frozenset({C.VIEW_MEMBERS_AREA, C.REPORT_ISSUES, C.FOLLOW_ACTION_ITEMS}),
    Role.STREET_ADMIN: frozenset(
        _MEMBER
        | {
            C.VIEW_UNITS,
            C.VIEW_ARREARS,
            C.VIEW_MEMBERS_LIST,
            C.EDIT_DUTIES,
            C.MANAGE_MEMBERSHIPS,
            C.PUBLISH_DISCLOSURE,
            C.MANAGE_UNITS,
        }
    ),
    Role.STREET_INSPECTOR: frozenset(_MEMBER | {C.VIEW_UNITS, C.VIEW_ARREARS, C.SCORE_COMPANY}),
}


def active_memberships(user, on=None) -> QuerySet[Membership]:
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(_active_q(on=on), user=user)


def _membership_compound_q(membership: Membership, on) -> Q:
    """The compounds a membership reaches."""
    if membership.compound_id and membership.party == Party.COMPANY:
        # Company people assigned to a compound act there only while their company
        # serves it: a handover ends the old company's powers without anyone having
        # to end each membership by hand.
        return Q(
            pk=membership.compound_id,
            contracts__company_id=membership.company_id,
            contracts__status=ServiceContract.Status.ACTIVE,
        )
    if membership.compound_id:
        return Q(pk=membership.compound_id)
    if membership.party == Party.STREET_OFFICE:
        return Q(community__street_office_id=membership.street_office_id)
    if membership.party == Party.COMMUNITY:
        return Q(community_id=membership.community_id)
    if membership.party == Party.COMPANY:
        # Company-wide managers reach the compounds their company currently serves.
        served = ServiceContract.objects.filter(
            company_id=membership.company_id, status=ServiceContract.Status.ACTIVE
        ).values("compound_id")
        return Q(pk__in=served)
    return Q(pk__in=[])  # pragma: no cover - constraints make this unreachable


@dataclass
class Standing:
    """A user's effective roles in one compound, and through which memberships."""

    compound: Compound
    roles: set[str] = field(default_factory=set)
    memberships: list[Membership] = field(default_factory=list)

    @property
    def capabilities(self) -> frozenset[Capability]:
        caps: set[Capability] = set()
        for role in self.roles:
            caps |= ROLE_CAPABILITIES[role]
        return frozenset(caps)

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def company_ids(self) -> set[int]:
        """Companies this person works for, whatever other roles they hold (for payee checks)."""
        return {m.company_id for m in self.memberships if m.company_id}


def compounds_visible_to(user, on=None) -> QuerySet[Compound]:
    """Compounds whose members' area this user may enter."""
    on = on or timezone.localdate()
    if not getattr(user, "is_authenticated", False):
        return Compound.objects.none()
    q = Q(pk__in=UnitOwnership.objects.filter(_active_q(on=on), user=user).values("compound_id"))
    for membership in active_memberships(user, on):
        q |= _membership_compound_q(membership, on)
    return Compound.objects.filter(q).select_related("community", "community__street_office")


def standing_in(user, compound: Compound, on=None) -> Standing:
    """Effective roles of ``user`` in ``compound`` today (two queries)."""
    on = on or timezone.localdate()
    standing = Standing(compound=compound)
    if not getattr(user, "is_authenticated", False):
        return standing
    if UnitOwnership.objects.filter(_active_q(on=on), user=user, compound=compound).exists():
        standing.roles.add(Role.OWNER)
    memberships = (
        active_memberships(user, on)
        .filter(
            (Q(compound=compound) & ~Q(party=Party.COMPANY))
            | Q(compound__isnull=True, community_id=compound.community_id)
            | Q(street_office_id=compound.community.street_office_id)
            # Company people (company-wide, or assigned to this compound) only while
            # their company serves this compound.
            | (
                (Q(compound__isnull=True) | Q(compound=compound))
                & Q(
                    party=Party.COMPANY,
                    company__contracts__compound=compound,
                    company__contracts__status=ServiceContract.Status.ACTIVE,
                )
            )
        )
        .distinct()
    )
    for membership in memberships:
        standing.roles.add(membership.role)
        standing.memberships.append(membership)
    # Anybody employed by a company keeps that link even if it is not this compound's
    # company today: segregation of duties asks about the payee, not the contract.
    standing.memberships.extend(
        m
        for m in active_memberships(user, on)
        .filter(party=Party.COMPANY)
        .exclude(pk__in=[m.pk for m in standing.memberships])
    )
    return standing


class CapabilityDenied(Http404):
    """A person with standing in the compound asked for a page their roles may not use.

    Pages answer it with a 403 naming the roles that may (``common.error_pages``). It is
    an ``Http404`` on purpose: every API caller turns ``Http404`` into its 404, so the
    API keeps answering "not found" without knowing about this class.
    """

    def __init__(self, compound: Compound, capability: Capability):
        super().__init__("capability")
        self.compound = compound
        self.capability = capability

    @property
    def role_labels(self) -> list[str]:
        return roles_with(self.capability)


def role_labels(roles) -> list[str]:
    """Labels of ``roles`` in the order of the Role enum, so pages list them the same way."""
    return [role.label for role in Role if role.value in roles]


def roles_with(capability: Capability) -> list[str]:
    """Labels of the roles that hold ``capability``."""
    return role_labels({role for role, caps in ROLE_CAPABILITIES.items() if capability in caps})


def access_compound(
    user, slug: str, capability: Capability = Capability.VIEW_MEMBERS_AREA
) -> tuple[Compound, Standing]:
    """The compound with this slug if the user may use ``capability`` there.

    No such compound, or no standing in it: ``Http404``, the same answer for both. Standing
    but not this capability: ``CapabilityDenied`` (a 403 page saying who may; a 404 in the API).
    """
    compound = (
        Compound.objects.select_related("community", "community__street_office").filter(slug=slug).first()
    )
    if compound is None:
        raise Http404
    standing = standing_in(user, compound)
    if not standing.can(capability):
        if standing.roles:
            raise CapabilityDenied(compound, capability)
        raise Http404
    return compound, standing


def get_compound_for_api(user, pk_or_slug, capability: Capability = Capability.VIEW_MEMBERS_AREA):
    """API flavour of access_compound: NotFoundError (404 in the one error shape)."""
    try:
        return access_compound(user, str(pk_or_slug), capability)
    except Http404:
        raise NotFoundError("Not found.") from None
