"""Reads for pages and the API. Private reads take a compound already checked by
``permissions.access_compound``; public reads return only what may be public."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Prefetch, Q, QuerySet, When

from accounts.models import User
from common.phone import mask_phone
from communities.models import (
    Building,
    Compound,
    Duty,
    DutyListVersion,
    Membership,
    Party,
    PartyUnit,
    Role,
    RoleGrant,
    ServiceContract,
    StewardAssignment,
    Unit,
    _active_q,
)
from communities.permissions import Standing, compounds_visible_to, reaching_q, standing_in


def current_duty_list(compound: Compound) -> DutyListVersion | None:
    return (
        DutyListVersion.objects.filter(compound=compound)
        .order_by("-version")
        .prefetch_related(Prefetch("duties", queryset=Duty.objects.order_by("number")))
        .first()
    )


def duty_list_versions(compound: Compound) -> QuerySet[DutyListVersion]:
    return DutyListVersion.objects.filter(compound=compound).annotate(n=Count("duties")).order_by("-version")


def duties_by_party(duty_list: DutyListVersion | None) -> list[tuple[str, str, list[Duty]]]:
    """[(party, label, duties)] for community, committee, company; a duty shared by
    several parties appears under each of them."""
    if duty_list is None:
        return []
    duties = list(duty_list.duties.all())
    groups = [
        (Party.COMMUNITY, Party.COMMUNITY.label, [d for d in duties if d.by_community]),
        (Party.COMMITTEE, Party.COMMITTEE.label, [d for d in duties if d.by_committee]),
        (Party.COMPANY, Party.COMPANY.label, [d for d in duties if d.by_company]),
    ]
    return groups


def active_contract(compound: Compound) -> ServiceContract | None:
    return (
        ServiceContract.objects.filter(compound=compound, status=ServiceContract.Status.ACTIVE)
        .select_related("company")
        .first()
    )


def active_company(compound: Compound):
    """The property company of the compound's active contract, if any."""
    contract = active_contract(compound)
    return contract.company if contract else None


def committee_seats(compound: Compound) -> list[Membership]:
    """Current committee members (names only; never phone numbers)."""
    return list(
        Membership.objects.filter(_active_q(), compound=compound, party=Party.COMMITTEE)
        .select_related("user")
        # The chair first, then members by seniority.
        .order_by(Case(When(role=Role.COMMITTEE_CHAIR, then=0), default=1), "start_date", "pk")
    )


def steward_count(compound: Compound) -> int:
    return Membership.objects.filter(_active_q(), compound=compound, role=Role.STEWARD).count()


def public_compound(slug: str) -> Compound | None:
    return Compound.objects.select_related("community", "community__street_office").filter(slug=slug).first()


def public_compounds() -> QuerySet[Compound]:
    return Compound.objects.select_related("community").order_by("community__name", "name")


@dataclass
class MyCompound:
    compound: Compound
    standing: Standing


def my_compounds(user) -> list[MyCompound]:
    """The compounds I belong to, with my roles in each (home page)."""
    return [MyCompound(c, standing_in(user, c)) for c in compounds_visible_to(user).order_by("name")]


def compound_members(compound: Compound) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(_active_q(), compound=compound)
        .select_related("user")
        .order_by("party", "role")
    )


def users_with_roles(compound: Compound, roles) -> list:
    """People who hold any of ``roles`` in ``compound`` today, through any membership
    that reaches it (compound-level, community-level or street-office-level)."""
    user_ids = Membership.objects.filter(_active_q(), reaching_q(compound), role__in=list(roles)).values(
        "user_id"
    )
    return list(User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


def public_compounds_with_facts() -> QuerySet[Compound]:
    """Public list/detail: the active contract prefetched (``active_contracts``) and the
    number of current stewards annotated (``steward_count``), in a constant number of queries."""
    stewards = Q(memberships__role=Role.STEWARD) & _active_q("memberships__")
    return (
        public_compounds()
        .select_related("community__street_office")
        .annotate(steward_count=Count("memberships", filter=stewards))
        .prefetch_related(
            Prefetch(
                "contracts",
                queryset=ServiceContract.objects.filter(status=ServiceContract.Status.ACTIVE).select_related(
                    "company"
                ),
                to_attr="active_contracts",
            )
        )
    )


def buildings_of(compound: Compound) -> QuerySet[Building]:
    return Building.objects.filter(compound=compound).order_by("sort_key", "name", "pk")


def units_of(compound: Compound) -> QuerySet[Unit]:
    return (
        Unit.objects.filter(compound=compound).select_related("building").order_by(*Unit._meta.ordering, "pk")
    )


def memberships_in(compound: Compound) -> QuerySet[Membership]:
    """Memberships held *in* this compound — its committee, owners' representatives,
    stewards, and company or community people narrowed to it. Community-wide and
    company-wide memberships belong to their organisation, not to one compound."""
    return (
        Membership.objects.filter(compound=compound)
        .select_related("user", "street_office", "community", "company", "compound")
        .order_by("party", "role", "start_date", "pk")
    )


def buildings_with_unit_counts(compound: Compound) -> QuerySet[Building]:
    return (
        Building.objects.filter(compound=compound)
        .annotate(unit_count=Count("units"))
        .order_by("sort_key", "name")
    )


def pilot_compounds() -> QuerySet[Compound]:
    return public_compounds().filter(is_pilot=True)


def role_grants_in(compound: Compound) -> QuerySet[RoleGrant]:
    """Requests for signing roles in this compound (its committee, or its community narrowed to it)."""
    return RoleGrant.objects.filter(compound=compound).select_related(
        "user", "requested_by", "decided_by", "community", "compound", "street_office", "company"
    )


# --------------------------------------------------------------------------- who serves the residents


@dataclass
class Person:
    """A name and a phone number as a page may show them (masked on public pages)."""

    name: str
    phone: str


@dataclass
class PartyNode:
    level: str  # PartyUnit.Level label
    name: str
    secretary: Person | None
    building: str = ""
    children: list[PartyNode] | None = None


@dataclass
class StewardRow:
    building: str
    stewards: list[Person]


def _person(user, *, public: bool) -> Person:

    phone = user.phone or ""
    return Person(
        name=user.display_name or "",
        phone=(mask_phone(phone) if public else phone) if phone else "",
    )


def party_structure(compound: Compound, *, public: bool) -> PartyNode | None:
    """三级组织架构 of a compound: the community's party organisation, the compound's branch
    and the building groups under it (two queries). None when the branch is not recorded."""

    Level = PartyUnit.Level
    branch = (
        PartyUnit.objects.filter(level=Level.COMPOUND_BRANCH, compound=compound)
        .select_related("secretary", "parent__secretary")
        .order_by("pk")
        .first()
    )
    if branch is None:
        return None
    groups = (
        PartyUnit.objects.filter(level=Level.BUILDING_GROUP, compound=compound)
        .select_related("secretary", "building")
        .order_by("building__sort_key", "building__name", "pk")
    )

    def node(unit, children=None) -> PartyNode:
        return PartyNode(
            level=unit.get_level_display(),
            name=unit.name,
            secretary=_person(unit.secretary, public=public) if unit.secretary_id else None,
            building=unit.building.name if unit.building_id else "",
            children=children,
        )

    branch_node = node(branch, [node(g) for g in groups])
    return node(branch.parent, [branch_node]) if branch.parent_id else branch_node


def stewards_by_building(compound: Compound, *, public: bool) -> list[StewardRow]:
    """The stewards (桂乡管家) of each building, buildings in their usual order; phones masked
    on public pages (one query)."""

    rows: dict[int, StewardRow] = {}
    assignments = (
        StewardAssignment.objects.filter(
            compound=compound, membership__in=Membership.objects.filter(_active_q())
        )
        .select_related("building", "membership__user")
        .order_by("building__sort_key", "building__name", "membership__start_date", "pk")
    )
    for a in assignments:
        row = rows.setdefault(a.building_id, StewardRow(building=a.building.name, stewards=[]))
        row.stewards.append(_person(a.membership.user, public=public))
    return list(rows.values())


def compound_secretaries(compound: Compound, *, public: bool) -> list[Person]:
    """The community's dedicated secretaries (专职秘书) assigned to this compound."""
    return [
        _person(m.user, public=public)
        for m in Membership.objects.filter(_active_q(), compound=compound, role=Role.COMMUNITY_SECRETARY)
        .select_related("user")
        .order_by("start_date", "pk")
    ]


def people_serving(compound: Compound, *, public: bool) -> dict:
    """Context for communities/_people_serving.html."""
    return {
        "party": party_structure(compound, public=public),
        "steward_rows": stewards_by_building(compound, public=public),
        "secretaries": compound_secretaries(compound, public=public),
        "people_public": public,
    }
