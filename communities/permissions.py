"""Who may see and do what, in which compound (DESIGN.md §2).

Every private read goes through ``compounds_visible_to`` / ``access_compound`` and
every action checks a capability with ``standing_in(user, compound).can(capability)``.
A compound the user may not see answers exactly like one that does not exist.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import NotFoundError, PermissionDeniedError
from common.request_context import request_memo
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
    # Meetings (issue 14)
    RAISE_TOPIC = "raise_topic"
    SECOND_TOPIC = "second_topic"
    TRIAGE_TOPICS = "triage_topics"
    CONVENE_MEETING = "convene_meeting"
    RUN_OWNERS_VOTE = "run_owners_vote"
    ENTER_PAPER_BALLOTS = "enter_paper_ballots"
    # --- assessments and repairs (issue 12)
    OPEN_ASSESSMENT_ROUND = "open_assessment_round"
    SIGN_ASSESSMENT = "sign_assessment"
    OBJECT_TO_ASSESSMENT = "object_to_assessment"
    DECIDE_ASSESSMENT_OBJECTION = "decide_assessment_objection"
    MANAGE_ASSESSMENT_TEMPLATES = "manage_assessment_templates"
    RECORD_DUTY_CHECK = "record_duty_check"
    VIEW_ALL_REPAIRS = "view_all_repairs"


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

# --- Meetings (issue 14): topics, meetings, owners' votes. Additive: each role gains these.
# Any member raises a topic; owners second it; the secretary or a community official
# triages; a community official, the secretary or the committee chair convenes; the
# committee (with the community's help) runs owners' votes and enters paper ballots.
_MEETING_CAPABILITIES: dict[str, set[Capability]] = {
    Role.OWNER: {C.RAISE_TOPIC, C.SECOND_TOPIC},
    Role.OWNER_REP: {C.RAISE_TOPIC, C.SECOND_TOPIC},
    Role.COMMITTEE_MEMBER: {C.RAISE_TOPIC, C.ENTER_PAPER_BALLOTS},
    Role.COMMITTEE_CHAIR: {C.RAISE_TOPIC, C.CONVENE_MEETING, C.RUN_OWNERS_VOTE, C.ENTER_PAPER_BALLOTS},
    Role.COMPANY_STAFF: {C.RAISE_TOPIC},
    Role.COMPANY_MANAGER: {C.RAISE_TOPIC},
    # DESIGN.md §2: community officials and the secretary record minutes (most pilots
    # have no secretary of their own).
    Role.COMMUNITY_OFFICIAL: {
        C.RAISE_TOPIC,
        C.TRIAGE_TOPICS,
        C.CONVENE_MEETING,
        C.KEEP_MINUTES,
        C.RUN_OWNERS_VOTE,
        C.ENTER_PAPER_BALLOTS,
    },
    Role.COMMUNITY_SECRETARY: {
        C.RAISE_TOPIC,
        C.TRIAGE_TOPICS,
        C.CONVENE_MEETING,
        C.KEEP_MINUTES,
        C.ENTER_PAPER_BALLOTS,
    },
    Role.STEWARD: {C.RAISE_TOPIC},
}
for _role, _caps in _MEETING_CAPABILITIES.items():
    ROLE_CAPABILITIES[_role] = ROLE_CAPABILITIES[_role] | frozenset(_caps)
# --- end of Meetings
# --- assessments and repairs (issue 12): added to the roles above, never removed.
# Community officials score with street-office inspectors (SCORE_COMPANY); the chair and
# a community official sign a round off; the company's manager may object once; the
# street office decides objections and publishes templates and weights.
_ASSESSMENT_GRANTS: dict[str, set[Capability]] = {
    Role.COMMITTEE_MEMBER: {C.RECORD_DUTY_CHECK, C.VIEW_ALL_REPAIRS},
    Role.COMMITTEE_CHAIR: {C.SIGN_ASSESSMENT, C.RECORD_DUTY_CHECK, C.VIEW_ALL_REPAIRS},
    Role.COMPANY_STAFF: {C.VIEW_ALL_REPAIRS},
    Role.COMPANY_MANAGER: {C.OBJECT_TO_ASSESSMENT, C.VIEW_ALL_REPAIRS},
    Role.COMMUNITY_OFFICIAL: {
        C.SCORE_COMPANY,
        C.OPEN_ASSESSMENT_ROUND,
        C.SIGN_ASSESSMENT,
        C.RECORD_DUTY_CHECK,
        C.VIEW_ALL_REPAIRS,
    },
    Role.COMMUNITY_SECRETARY: {C.RECORD_DUTY_CHECK, C.VIEW_ALL_REPAIRS},
    Role.STEWARD: {C.VIEW_ALL_REPAIRS},
    Role.STREET_ADMIN: {
        C.OPEN_ASSESSMENT_ROUND,
        C.DECIDE_ASSESSMENT_OBJECTION,
        C.MANAGE_ASSESSMENT_TEMPLATES,
        C.VIEW_ALL_REPAIRS,
    },
    Role.STREET_INSPECTOR: {C.RECORD_DUTY_CHECK, C.VIEW_ALL_REPAIRS},
}
for _role, _caps in _ASSESSMENT_GRANTS.items():
    ROLE_CAPABILITIES[_role] = ROLE_CAPABILITIES[_role] | frozenset(_caps)


# Roles whose holders sign or record payouts. Nobody gives one alone: a request is
# confirmed by a second person (communities.services.role_grant_request / _confirm),
# and the street office's own roles never include one ("read-only on money").
SIGNING_CAPABILITIES = frozenset({C.REVIEW_PAYOUT, C.RECHECK_PAYOUT, C.RECORD_PAYOUT_PAYMENT})
SIGNING_ROLES = frozenset(
    {Role.COMMITTEE_MEMBER, Role.COMMITTEE_CHAIR, Role.COMMUNITY_OFFICIAL, Role.COMMUNITY_SECRETARY}
)
if any(caps & SIGNING_CAPABILITIES for role, caps in ROLE_CAPABILITIES.items() if role not in SIGNING_ROLES):
    raise RuntimeError("A role that signs payouts is missing from SIGNING_ROLES.")  # pragma: no cover


def active_memberships(user, on=None) -> QuerySet[Membership]:
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(_active_q(on=on), user=user)


def reaching_q(compound: Compound | None = None) -> Q:
    """The one definition of which compounds a membership reaches, as a filter on
    memberships: those that reach ``compound`` — or, with ``compound=None``, the compound
    of an enclosing query over compounds (``OuterRef``).

    A street-office membership reaches every compound of its office; a community one
    (without a compound) every compound of its community; one assigned to a compound
    that compound. Company people — company-wide or assigned to a compound — act there
    only while their company has the active contract, so a handover ends the old
    company's powers without anyone having to end each membership by hand."""
    if compound is None:
        pk, community, office = (
            OuterRef("pk"),
            OuterRef("community_id"),
            OuterRef("community__street_office_id"),
        )
    else:
        pk, community, office = compound.pk, compound.community_id, compound.community.street_office_id
    return (
        (Q(compound_id=pk) & ~Q(party=Party.COMPANY))
        | Q(compound__isnull=True, community_id=community)
        | Q(street_office_id=office)
        | (
            (Q(compound__isnull=True) | Q(compound_id=pk))
            & Q(
                party=Party.COMPANY,
                company__contracts__compound_id=pk,
                company__contracts__status=ServiceContract.Status.ACTIVE,
            )
        )
    )


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
    owned = Q(pk__in=UnitOwnership.objects.filter(_active_q(on=on), user=user).values("compound_id"))
    reached = Exists(active_memberships(user, on).filter(reaching_q()))
    return Compound.objects.filter(owned | reached).select_related("community", "community__street_office")


def standing_in(user, compound: Compound, on=None) -> Standing:
    """Effective roles of ``user`` in ``compound`` on ``on`` (today by default).

    Computed at most once per request (``common.request_context.request_memo``) and kept
    across requests in the default cache under the standings' generation, which every
    change to a membership, an ownership or a contract bumps (``communities.signals``).
    Inside a transaction of its own (a service re-checking under its lock) it is always
    computed afresh from the database, and never cached: what it sees may roll back.
    On a miss: two or three indexed queries, none of them an OR-join."""
    on = on or timezone.localdate()
    if not getattr(user, "is_authenticated", False):
        return Standing(compound=compound)
    key = _standing_key(user, compound, on)
    fresh = _in_own_transaction()
    memo = None if fresh else request_memo()
    if memo is not None:
        found = memo.get("standing", {}).get(key)
        if found is not None:
            return _copy(found, compound)
    cache_seconds = 0 if fresh else getattr(settings, "STANDING_CACHE_SECONDS", 0)
    cache_key = None
    found = None
    if cache_seconds:
        cache_key = f"gg:standing:v{_CACHE_FORMAT}:{standing_generation()}:{key}"
        found = _from_cache(cache.get(cache_key), compound)
    if found is None:
        found = _compute_standing(user, compound, on)
        if cache_key is not None:
            cache.set(cache_key, _to_cache(found), cache_seconds)
    if memo is not None:
        memo.setdefault("standing", {})[key] = found
    return _copy(found, compound)


# Bump when what _to_cache stores changes shape.
_CACHE_FORMAT = 1


def _to_cache(standing: Standing) -> tuple:
    """Roles and the memberships' column values — plain data, not pickled model instances
    (a deploy that adds a column must not unpickle yesterday's rows into today's model)."""
    columns = [f.attname for f in Membership._meta.concrete_fields]
    return (
        sorted(standing.roles),
        tuple(columns),
        [tuple(getattr(m, c) for c in columns) for m in standing.memberships],
    )


def _from_cache(cached, compound: Compound) -> Standing | None:
    if cached is None:
        return None
    try:
        roles, columns, rows = cached
        if list(columns) != [f.attname for f in Membership._meta.concrete_fields]:
            return None
        memberships = [Membership.from_db(DEFAULT_DB_ALIAS, list(columns), row) for row in rows]
    except (TypeError, ValueError):
        return None
    return Standing(compound=compound, roles=set(roles), memberships=memberships)


def _standing_key(user, compound: Compound, on) -> str:
    # The compound's community and street office are part of the key: moving a compound
    # (or a community) changes which memberships reach it without saving a membership.
    office_id = compound.community.street_office_id
    return f"{user.pk}:{compound.pk}:{compound.community_id}:{office_id}:{on.isoformat()}"


def _copy(standing: Standing, compound: Compound) -> Standing:
    """A caller's own copy: one that adds to its roles changes nobody else's answer."""
    return Standing(compound=compound, roles=set(standing.roles), memberships=list(standing.memberships))


def _in_own_transaction() -> bool:
    """Whether the default connection is inside an atomic block the code opened (not the
    one a test case wraps every test in)."""
    conn = connections[DEFAULT_DB_ALIAS]
    if not conn.in_atomic_block:
        return False
    return any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)


STANDING_GENERATION_KEY = "gg:standing:generation"


def standing_generation() -> int:
    """The standings' generation: cached standings are keyed by it."""
    generation = cache.get(STANDING_GENERATION_KEY)
    if generation is None:
        # Missing (first use, or evicted): start from the clock, far from any value an
        # older generation could have reached by increments.
        cache.add(STANDING_GENERATION_KEY, time.time_ns(), timeout=None)
        generation = cache.get(STANDING_GENERATION_KEY, 0)
    return generation


def forget_standings() -> None:
    """Every standing computed so far is stale: bump the generation and drop this
    request's memo. Called on every change to who holds which role where
    (``communities.signals``); call it after a bulk write that sends no signals."""
    memo = request_memo()
    if memo is not None:
        memo.pop("standing", None)
    try:
        cache.incr(STANDING_GENERATION_KEY)
    except ValueError:  # missing: any new value is a new generation
        cache.set(STANDING_GENERATION_KEY, time.time_ns(), timeout=None)


def _compute_standing(user, compound: Compound, on) -> Standing:
    """The database's answer: the person's active memberships (one query on
    ``(user, end_date)``), whether they own a unit here (one ``EXISTS``), and, only if
    one of their company memberships could reach the compound, which company has the
    active contract (one query on the contract's compound). The rules are those of
    ``reaching_q``, applied in Python to the few rows one person has."""
    standing = Standing(compound=compound)
    if UnitOwnership.objects.filter(_active_q(on=on), user=user, compound=compound).exists():
        standing.roles.add(Role.OWNER)
    mine = list(active_memberships(user, on))
    office_id = compound.community.street_office_id
    company_candidates = [
        m for m in mine if m.party == Party.COMPANY and m.compound_id in (None, compound.pk)
    ]
    contracted: set[int] = set()
    if company_candidates:
        contracted = set(
            ServiceContract.objects.filter(
                compound_id=compound.pk, status=ServiceContract.Status.ACTIVE
            ).values_list("company_id", flat=True)
        )
    reaching = []
    for m in mine:
        if (
            (m.compound_id == compound.pk and m.party != Party.COMPANY)
            or (m.compound_id is None and m.community_id == compound.community_id)
            or (m.street_office_id is not None and m.street_office_id == office_id)
            or (
                m.party == Party.COMPANY
                and m.compound_id in (None, compound.pk)
                and m.company_id in contracted
            )
        ):
            reaching.append(m)
    for m in reaching:
        standing.roles.add(m.role)
        standing.memberships.append(m)
    # Anybody employed by a company keeps that link even if it is not this compound's
    # company today: segregation of duties asks about the payee, not the contract.
    reached = {m.pk for m in reaching}
    standing.memberships.extend(m for m in mine if m.party == Party.COMPANY and m.pk not in reached)
    return standing


class CapabilityDenied(Http404):
    """A person with standing in the compound asked for a page their roles may not use.

    Pages answer it with a 403 naming the roles that may (``portal.error_pages``). It is
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


def compound_for_api(
    user,
    slug,
    *,
    see: Capability | None = Capability.VIEW_MEMBERS_AREA,
    act: Capability | None = None,
) -> tuple[Compound, Standing | None]:
    """The one compound lookup of the API.

    A compound that does not exist and one the user may not ``see`` get the same answer,
    ``NotFoundError`` (404); ``see=None`` is a public read (any existing compound). ``act``
    is the capability the action needs on top: a user who sees the compound but lacks it
    gets ``PermissionDeniedError`` (403) naming the capability. Returns the compound and
    the user's standing (None for a public read without ``act``)."""
    if see is None:
        compound = (
            Compound.objects.select_related("community", "community__street_office")
            .filter(slug=str(slug))
            .first()
        )
        if compound is None:
            raise NotFoundError(_("Not found."))
        standing = standing_in(user, compound) if act is not None else None
    else:
        try:
            compound, standing = access_compound(user, str(slug), see)
        except Http404:
            raise NotFoundError(_("Not found.")) from None
    if act is not None and not standing.can(act):
        raise PermissionDeniedError(
            _("Your roles in this compound do not allow this action."), extra={"capability": str(act)}
        )
    return compound, standing


def get_compound_for_api(user, pk_or_slug, capability: Capability = Capability.VIEW_MEMBERS_AREA):
    """``compound_for_api`` for a capability needed to see the compound at all (404 without it)."""
    return compound_for_api(user, pk_or_slug, see=capability)
