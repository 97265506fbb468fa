"""Writes to the tenancy, the parties and the duty list.

Every function here is the one way to make its change: it validates, writes, and
records an audit event in the same transaction. Views, the API, the admin and
seed_demo all call these.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notify
from accounts.stepup import check_second_factor
from common.errors import ConflictError, PermissionDeniedError
from communities.audit import audit_record, snapshot
from communities.default_duties import default_duty_items
from communities.models import (
    ROLE_PARTY,
    Building,
    Cadence,
    Community,
    Compound,
    Duty,
    DutyListVersion,
    Membership,
    Party,
    PartyUnit,
    PropertyCompany,
    Role,
    RoleGrant,
    ServiceContract,
    StewardAssignment,
    StreetOffice,
    Unit,
    UnitOwnership,
    _active_q,
)
from communities.permissions import SIGNING_ROLES


def _save_validated(obj, *, unique_message: str | None = None, exclude=None):
    """full_clean then save; a race that the database catches becomes the same ValidationError."""
    obj.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError(
            unique_message or _("This conflicts with an existing record: %(e)s") % {"e": exc}
        ) from exc
    return obj


# --------------------------------------------------------------------------- organisations


@transaction.atomic(durable=True)
def street_office_create(*, name: str, district: str = "", city: str = "", actor) -> StreetOffice:
    """Create a street office and publish its default 19-item duty template (version 1)."""
    office = _save_validated(StreetOffice(name=name, district=district, city=city))
    audit_record(actor=actor, action="street_office.create", obj=office)
    _duty_template_publish(
        street_office=office, items=default_duty_items(), reason=_("Default list"), actor=actor
    )
    return office


@transaction.atomic(durable=True)
def community_create(*, street_office: StreetOffice, name: str, actor) -> Community:
    """Create a community (社区) under its street office; audited."""
    community = _save_validated(Community(street_office=street_office, name=name))
    audit_record(actor=actor, action="community.create", obj=community)
    return community


@transaction.atomic(durable=True)
def compound_create(*, community: Community, name: str, slug: str, address: str = "", actor) -> Compound:
    """Create a compound (the tenant) with a copy of its street office's current duty list."""
    compound = _save_validated(Compound(community=community, name=name, slug=slug, address=address))
    audit_record(actor=actor, action="compound.create", obj=compound, compound=compound)
    template = (
        DutyListVersion.objects.filter(street_office_id=community.street_office_id)
        .order_by("-version")
        .first()
    )
    items = _items_of(template) if template else default_duty_items()
    _duty_list_create_version(
        compound=compound,
        items=items,
        based_on=template,
        reason=_("Copied from the street office's list"),
        actor=actor,
    )
    return compound


@transaction.atomic(durable=True)
def building_create(*, compound: Compound, name: str, sort_key: int = 0, actor) -> Building:
    """Create a building of a compound; its name is unique in the compound (refused naming
    ``name``); audited."""
    name = (name or "").strip()
    if Building.objects.filter(compound=compound, name=name).exists():
        raise ValidationError(
            {"name": _("This compound already has a building called “%(name)s”.") % {"name": name}}
        )
    building = _save_validated(
        Building(compound=compound, name=name, sort_key=sort_key),
        unique_message=_("name: this compound already has a building called “%(name)s”.") % {"name": name},
    )
    audit_record(actor=actor, action="building.create", obj=building, compound=compound)
    return building


def _unit_clean(unit: Unit) -> None:
    """Uniqueness first, with a message that names the unit; then field and constraint checks."""
    clash = Unit.objects.filter(building=unit.building, entrance=unit.entrance, number=unit.number)
    if unit.pk:
        clash = clash.exclude(pk=unit.pk)
    if clash.exists():
        raise ValidationError(
            {
                "number": _("Unit %(number)s already exists in %(building)s entrance %(entrance)s.")
                % {"number": unit.number, "building": unit.building.name, "entrance": unit.entrance}
            }
        )
    unit.full_clean()


def _floor_area(value) -> Decimal | None:
    """Parse a floor area; text that is not a number is a field error, not a crash."""
    if value is None:
        return None
    try:
        area = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({"floor_area": _("“%(v)s” is not a number of m².") % {"v": value}}) from None
    if not area.is_finite():
        raise ValidationError({"floor_area": _("“%(v)s” is not a number of m².") % {"v": value}})
    return area


@transaction.atomic(durable=True)
def unit_create(*, building: Building, entrance: str, number: str, floor_area, actor) -> Unit:
    """Add a flat. Floor area must be > 0 m² and at most 2,000 m²; numbers are unique per entrance."""
    unit = Unit(
        compound_id=building.compound_id,
        building=building,
        entrance=str(entrance).strip(),
        number=str(number).strip(),
        floor_area=_floor_area(floor_area),
    )
    _unit_clean(unit)
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:  # a concurrent insert of the same unit
        raise ValidationError(
            {"number": _("This unit already exists in that building and entrance.")}
        ) from exc
    audit_record(actor=actor, action="unit.create", obj=unit, compound=building.compound)
    return unit


@transaction.atomic(durable=True)
def unit_update(*, unit: Unit, actor, **changes) -> Unit:
    """Change a unit's entrance, number or floor area (a change of area changes future bills)."""
    allowed = {"entrance", "number", "floor_area"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = snapshot(unit, sorted(allowed))
    for name, value in changes.items():
        setattr(unit, name, _floor_area(value) if name == "floor_area" else str(value).strip())
    _unit_clean(unit)
    unit.save(update_fields=sorted(changes))
    audit_record(
        actor=actor,
        action="unit.update",
        obj=unit,
        compound=unit.compound,
        before=before,
        after=snapshot(unit, sorted(allowed)),
    )
    return unit


@transaction.atomic(durable=True)
def unit_owner_add(*, unit: Unit, user, start_date: dt.date | None = None, actor) -> UnitOwnership:
    """Record ``user`` as an owner of ``unit`` from ``start_date`` (owners come from these links,
    never from memberships); one link per person and unit; audited."""
    ownership = UnitOwnership(
        compound_id=unit.compound_id, unit=unit, user=user, start_date=start_date or timezone.localdate()
    )
    _save_validated(ownership, unique_message=_("user: this person is already an owner of this unit."))
    audit_record(actor=actor, action="unit_owner.add", obj=ownership, compound=unit.compound)
    return ownership


@transaction.atomic(durable=True)
def property_company_create(
    *, name: str, credit_code: str = "", has_party_branch: bool = False, actor
) -> PropertyCompany:
    """Create a property company (物业公司); audited."""
    company = _save_validated(
        PropertyCompany(name=name, credit_code=credit_code, has_party_branch=has_party_branch)
    )
    audit_record(actor=actor, action="company.create", obj=company)
    return company


# --------------------------------------------------------------------------- contracts


def _active_contract_for_update(compound: Compound) -> ServiceContract | None:
    return (
        ServiceContract.objects.select_for_update()
        .filter(compound=compound, status=ServiceContract.Status.ACTIVE)
        .first()
    )


def _contract_dates_clean(start_date, end_date) -> None:
    if end_date is not None and start_date is not None and end_date < start_date:
        raise ValidationError({"end_date": _("A contract cannot end before it starts.")})


@transaction.atomic(durable=True)
def contract_start(
    *,
    compound: Compound,
    company: PropertyCompany,
    start_date: dt.date,
    fee_rate_fen: int,
    end_date: dt.date | None = None,
    actor,
) -> ServiceContract:
    """Start the first contract of a compound. Refused while another one is active:
    a change of company is a handover (``contract_handover``)."""
    _contract_dates_clean(start_date, end_date)
    # Lock the compound row so two concurrent starts cannot both see "no contract".
    Compound.objects.select_for_update().get(pk=compound.pk)
    if _active_contract_for_update(compound):
        raise ValidationError(
            {"compound": _("This compound already has an active service contract; use a handover.")}
        )
    contract = ServiceContract(
        compound=compound,
        company=company,
        start_date=start_date,
        end_date=end_date,
        fee_rate_fen=fee_rate_fen,
    )
    _save_validated(
        contract, unique_message=_("compound: this compound already has an active service contract.")
    )
    audit_record(actor=actor, action="contract.start", obj=contract, compound=compound)
    return contract


@transaction.atomic(durable=True)
def contract_handover(
    *,
    compound: Compound,
    company: PropertyCompany,
    start_date: dt.date,
    fee_rate_fen: int,
    end_date: dt.date | None = None,
    actor,
) -> ServiceContract:
    """物业更迭, “无缝衔接”: the current contract ends the day before ``start_date`` and the
    new one starts on it, in one transaction, so the compound is never without one."""
    _contract_dates_clean(start_date, end_date)
    Compound.objects.select_for_update().get(pk=compound.pk)
    current = _active_contract_for_update(compound)
    if current is None:
        raise ValidationError({"compound": _("This compound has no active contract to hand over.")})
    if start_date <= current.start_date:
        raise ValidationError(
            {
                "start_date": _("The new contract must start after the current one started (%(d)s).")
                % {"d": current.start_date}
            }
        )
    before = snapshot(current, ["status", "end_date"])
    current.end_date = start_date - dt.timedelta(days=1)
    current.status = ServiceContract.Status.ENDED
    current.save(update_fields=["end_date", "status"])
    audit_record(
        actor=actor,
        action="contract.end",
        obj=current,
        compound=compound,
        before=before,
        after=snapshot(current, ["status", "end_date"]),
    )
    contract = ServiceContract(
        compound=compound,
        company=company,
        start_date=start_date,
        end_date=end_date,
        fee_rate_fen=fee_rate_fen,
    )
    _save_validated(contract)
    audit_record(actor=actor, action="contract.handover", obj=contract, compound=compound)
    return contract


# --------------------------------------------------------------------------- memberships


def _membership_build(
    *, user, role, street_office, community, company, compound, title, start_date, end_date
) -> Membership:
    """An unsaved, checked membership (the same checks for a grant request and a grant)."""
    if role == Role.OWNER:
        raise ValidationError({"role": _("Owners are linked to their units, not given a membership.")})
    if role not in ROLE_PARTY:
        raise ValidationError({"role": _("Unknown role “%(role)s”.") % {"role": role}})
    membership = Membership(
        user=user,
        role=role,
        party=ROLE_PARTY[role],
        street_office=street_office,
        community=community,
        company=company,
        compound=compound,
        title=title,
        start_date=start_date or timezone.localdate(),
        end_date=end_date,
    )
    _membership_clean(membership)
    return membership


def _refuse_self_appointment(user, actor) -> None:
    if actor is not None and user is not None and user.pk == actor.pk:
        raise PermissionDeniedError(
            _("Nobody gives a role to themselves: ask another person of your organisation."),
            extra={"fields": {"user": [_("This is you.")]}},
        )


@transaction.atomic(durable=True)
def membership_create(
    *,
    user,
    role: str,
    actor,
    street_office=None,
    community=None,
    company=None,
    compound=None,
    title: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Membership:
    """Give a person a role in an organisation. A person may hold several (交叉任职).

    Nobody gives a role to themselves, and a person (``actor`` not None) never gives a
    signing role alone: that is ``role_grant_request`` + ``role_grant_confirm``.
    ``actor=None`` is the system itself (seeding, data migrations)."""
    _refuse_self_appointment(user, actor)
    if actor is not None and role in SIGNING_ROLES:
        raise PermissionDeniedError(
            _("A role that signs payouts takes effect only when a second person confirms it."),
            extra={"fields": {"role": [_("Ask for this role to be confirmed by a second person.")]}},
        )
    membership = _membership_build(
        user=user,
        role=role,
        street_office=street_office,
        community=community,
        company=company,
        compound=compound,
        title=title,
        start_date=start_date,
        end_date=end_date,
    )
    membership.save()
    audit_record(actor=actor, action="membership.create", obj=membership, compound=compound or None)
    if actor is not None:  # the system setting up (seeding) tells nobody
        _notify_role_given(membership, actor)
    return membership


def _compounds_reached(membership) -> list[Compound]:
    """The compounds whose parties hear of a new role."""
    if membership.compound_id:
        return [membership.compound]
    if membership.community_id:
        return list(Compound.objects.filter(community_id=membership.community_id))
    if membership.street_office_id:
        return list(Compound.objects.filter(community__street_office_id=membership.street_office_id))
    served = ServiceContract.objects.filter(
        company_id=membership.company_id, status=ServiceContract.Status.ACTIVE
    ).values("compound_id")
    return list(Compound.objects.filter(pk__in=served))


def _parties_of(compound: Compound) -> set:
    """The people of the compound's committee, community, property company and street
    office today: those who must not learn of a new signer by surprise."""

    company_ids = ServiceContract.objects.filter(
        compound=compound, status=ServiceContract.Status.ACTIVE
    ).values("company_id")
    seats = Membership.objects.filter(_active_q()).filter(
        Q(party=Party.COMMITTEE, compound=compound)
        | Q(party=Party.COMMUNITY, community_id=compound.community_id)
        & (Q(compound__isnull=True) | Q(compound=compound))
        | Q(party=Party.COMPANY, company_id__in=company_ids)
        & (Q(compound__isnull=True) | Q(compound=compound))
        | Q(party=Party.STREET_OFFICE, street_office_id=compound.community.street_office_id)
    )
    return set(User.objects.filter(pk__in=seats.values("user_id"), is_active=True))


def _person_label(user) -> str:
    # Never a bare phone number in a message to other people.
    return user.display_name or user.masked_phone or _("a member")


def _notify_role_given(membership: Membership, actor) -> None:
    """Every grant tells the person and the other parties of each compound it reaches."""

    params = {
        "user": _person_label(membership.user),
        "role": membership.get_role_display(),
        "org": str(membership.organisation),
    }
    notify(
        users=[membership.user],
        kind="role.given",
        title=_("You are now %(role)s of %(org)s") % params,
        body=_("If you did not expect this role, tell the street office."),
    )
    for compound in _compounds_reached(membership):
        others = _parties_of(compound) - {membership.user}
        if actor is not None:
            others = {u for u in others if u.pk != actor.pk}
        notify(
            users=others,
            kind="role.given",
            title=_("%(user)s is now %(role)s of %(org)s") % params,
            body=_("Every new role in the compound is announced to its parties."),
            compound=compound,
        )


def _membership_clean(membership: Membership) -> None:
    errors: dict[str, str] = {}
    if membership.end_date and membership.start_date and membership.end_date < membership.start_date:
        errors["end_date"] = _("A membership cannot end before it starts.")
    party = membership.party
    needs = {
        Party.OWNERS: "compound",
        Party.COMMITTEE: "compound",
        Party.VOLUNTEERS: "compound",
        Party.COMPANY: "company",
        Party.COMMUNITY: "community",
        Party.STREET_OFFICE: "street_office",
    }[party]
    if getattr(membership, f"{needs}_id") is None:
        errors[needs] = _("This role needs a %(org)s.") % {"org": needs.replace("_", " ")}
    for other in ("street_office", "community", "company", "compound"):
        if other == needs or getattr(membership, f"{other}_id") is None:
            continue
        narrowing = other == "compound" and party in (Party.COMPANY, Party.COMMUNITY)
        if not narrowing:
            errors[other] = _("Not allowed for this role.")
    if (
        party == Party.COMMUNITY
        and membership.compound_id
        and membership.community_id
        and membership.compound.community_id != membership.community_id
    ):
        errors["compound"] = _("This compound is not in that community.")
    if errors:
        raise ValidationError(errors)
    membership.full_clean()


@transaction.atomic(durable=True)
def membership_end(*, membership: Membership, end_date: dt.date | None = None, actor) -> Membership:
    """End a membership on ``end_date`` (today by default), never before it started; its powers
    stop the day after; audited with before/after."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    end_date = end_date or timezone.localdate()
    if end_date < membership.start_date:
        raise ValidationError({"end_date": _("A membership cannot end before it starts.")})
    before = snapshot(membership, ["end_date"])
    membership.end_date = end_date
    membership.save(update_fields=["end_date"])
    audit_record(
        actor=actor,
        action="membership.end",
        obj=membership,
        compound=membership.compound,
        before=before,
        after=snapshot(membership, ["end_date"]),
    )
    return membership


# --------------------------------------------------------------------------- signing roles: two people


def _grant_street_office_id(grant: RoleGrant) -> int | None:
    if grant.street_office_id:
        return grant.street_office_id
    if grant.community_id:
        return grant.community.street_office_id
    if grant.compound_id:
        return grant.compound.community.street_office_id
    return None


def grant_confirmers(grant: RoleGrant) -> set:
    """Who may confirm ``grant``: a street-office admin over its organisation (or the
    site's operators), never the person who asked nor the person who receives it."""

    office_id = _grant_street_office_id(grant)
    admins = Membership.objects.filter(_active_q(), role=Role.STREET_ADMIN, street_office_id=office_id)
    people = User.objects.filter(Q(pk__in=admins.values("user_id")) | Q(is_superuser=True), is_active=True)
    return {u for u in people if u.pk not in (grant.user_id, grant.requested_by_id)}


@transaction.atomic(durable=True)
def role_grant_request(
    *,
    user,
    role: str,
    actor,
    street_office=None,
    community=None,
    company=None,
    compound=None,
    title: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> RoleGrant:
    """Ask for a signing role for ``user``; it takes effect when a second person confirms
    it (``role_grant_confirm``). The people who may confirm are told now."""

    _refuse_self_appointment(user, actor)
    if role not in SIGNING_ROLES:
        raise ValidationError(
            {"role": _("Only roles that sign payouts need a second person; give this one directly.")}
        )
    checked = _membership_build(
        user=user,
        role=role,
        street_office=street_office,
        community=community,
        company=company,
        compound=compound,
        title=title,
        start_date=start_date,
        end_date=end_date,
    )
    grant = RoleGrant.objects.create(
        user=user,
        role=role,
        party=checked.party,
        street_office=street_office,
        community=community,
        company=company,
        compound=compound,
        title=title,
        start_date=start_date,
        end_date=end_date,
        requested_by=actor,
    )
    audit_record(actor=actor, action="role_grant.request", obj=grant, compound=compound or None)
    notify(
        users=grant_confirmers(grant),
        kind="role.requested",
        title=_("Confirm or refuse: %(user)s as %(role)s of %(org)s")
        % {"user": _person_label(user), "role": grant.get_role_display(), "org": str(grant.organisation)},
        body=_("A role that signs payouts needs a second person's confirmation."),
        compound=compound,
    )
    return grant


def _pending_grant_for_update(grant: RoleGrant) -> RoleGrant:
    grant = (
        RoleGrant.objects.select_for_update(of=("self",))
        .select_related("community", "compound__community")
        .get(pk=grant.pk)
    )
    if grant.status != RoleGrant.Status.PENDING:
        raise ConflictError(
            _("This request is no longer waiting (it is “%(s)s”).") % {"s": grant.get_status_display()}
        )
    return grant


@transaction.atomic(durable=True)
def role_grant_confirm(*, grant: RoleGrant, actor, second_factor) -> Membership:
    """A second person confirms a signing role, behind a fresh second factor; the
    membership is created now and everyone concerned is told."""
    # Imported here: the step-up rule lives with the payouts it guards.

    grant = _pending_grant_for_update(grant)
    if actor.pk in (grant.user_id, grant.requested_by_id):
        raise PermissionDeniedError(
            _("A second person confirms: not the one who asked, nor the one who receives the role.")
        )
    if actor not in grant_confirmers(grant):
        raise PermissionDeniedError(
            _("Only an admin of the street office confirms a role that signs payouts.")
        )
    check_second_factor(second_factor)
    membership = _membership_build(
        user=grant.user,
        role=grant.role,
        street_office=grant.street_office,
        community=grant.community,
        company=grant.company,
        compound=grant.compound,
        title=grant.title,
        start_date=grant.start_date,
        end_date=grant.end_date,
    )
    membership.save()
    before = snapshot(grant, ["status"])
    grant.status = RoleGrant.Status.CONFIRMED
    grant.decided_by = actor
    grant.decided_at = timezone.now()
    grant.membership = membership
    grant.save(update_fields=["status", "decided_by", "decided_at", "membership"])
    compound = grant.compound or None
    audit_record(
        actor=actor,
        action="role_grant.confirm",
        obj=grant,
        compound=compound,
        before=before,
        after=snapshot(grant, ["status"]),
    )
    audit_record(actor=actor, action="membership.create", obj=membership, compound=compound)
    _notify_role_given(membership, actor)
    return membership


@transaction.atomic(durable=True)
def role_grant_cancel(*, grant: RoleGrant, actor) -> RoleGrant:
    """Withdraw (the person who asked) or refuse (a possible confirmer) a pending request."""
    grant = _pending_grant_for_update(grant)
    if actor.pk != grant.requested_by_id and actor not in grant_confirmers(grant):
        raise PermissionDeniedError(_("Only the person who asked or a street-office admin may do this."))
    before = snapshot(grant, ["status"])
    grant.status = RoleGrant.Status.CANCELLED
    grant.decided_by = actor if actor.pk != grant.requested_by_id else None
    grant.decided_at = timezone.now()
    grant.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="role_grant.cancel",
        obj=grant,
        compound=grant.compound or None,
        before=before,
        after=snapshot(grant, ["status"]),
    )
    return grant


# --------------------------------------------------------------------------- party structure & stewards


@transaction.atomic(durable=True)
def party_unit_create(
    *,
    level: str,
    name: str,
    community: Community,
    parent: PartyUnit | None = None,
    compound: Compound | None = None,
    building: Building | None = None,
    actor,
) -> PartyUnit:
    """Create a party unit at its level of the three-level structure, under a parent of the level
    above in the same community (refused naming ``parent`` otherwise); audited."""
    unit = PartyUnit(
        level=level, name=name, community=community, parent=parent, compound=compound, building=building
    )
    errors = {}
    if parent and parent.community_id != community.pk:
        errors["parent"] = _("The parent belongs to another community.")
    expected_parent = {
        PartyUnit.Level.COMPOUND_BRANCH: PartyUnit.Level.COMMUNITY_ORGANISATION,
        PartyUnit.Level.BUILDING_GROUP: PartyUnit.Level.COMPOUND_BRANCH,
    }.get(level)
    if parent and expected_parent and parent.level != expected_parent:
        errors["parent"] = _("A %(level)s sits under a %(parent)s.") % {
            "level": PartyUnit.Level(level).label,
            "parent": PartyUnit.Level(expected_parent).label,
        }
    if building and compound and building.compound_id != compound.pk:
        errors["building"] = _("This building is in another compound.")
    if errors:
        raise ValidationError(errors)
    _save_validated(unit)
    audit_record(actor=actor, action="party_unit.create", obj=unit, compound=compound)
    return unit


@transaction.atomic(durable=True)
def steward_assign(*, membership: Membership, buildings: list[Building], actor) -> list[StewardAssignment]:
    """Assign a steward (桂乡管家) to buildings of their compound."""
    if membership.role != Role.STEWARD:
        raise ValidationError({"membership": _("Only stewards are assigned to buildings.")})
    out = []
    for building in buildings:
        if building.compound_id != membership.compound_id:
            raise ValidationError(
                {"buildings": _("%(b)s is not in the steward's compound.") % {"b": building}}
            )
        group = PartyUnit.objects.filter(building=building, level=PartyUnit.Level.BUILDING_GROUP).first()
        assignment, created = StewardAssignment.objects.get_or_create(
            membership=membership,
            building=building,
            defaults={"compound_id": membership.compound_id, "party_unit": group},
        )
        if created:
            audit_record(actor=actor, action="steward.assign", obj=assignment, compound=membership.compound)
        out.append(assignment)
    return out


# --------------------------------------------------------------------------- duty list


DUTY_FIELDS = ("number", "title", "description", "by_community", "by_committee", "by_company", "cadence")


def _items_of(version: DutyListVersion) -> list[dict]:
    return [{name: getattr(d, name) for name in DUTY_FIELDS} for d in version.duties.order_by("number")]


def validate_duty_items(items: list[dict]) -> list[dict]:
    """A duty list is numbered 1..N without gaps or repeats; every item has a title, a
    description, a known cadence and at least one responsible party."""
    if not items:
        raise ValidationError({"duties": _("A duty list needs at least one duty.")})
    errors: dict[str, list[str]] = {}
    clean: list[dict] = []
    for index, raw in enumerate(items, start=1):
        row = f"duties[{index}]"
        item = {name: raw.get(name) for name in DUTY_FIELDS}
        try:
            item["number"] = int(item["number"])
        except (TypeError, ValueError):
            errors.setdefault(row, []).append(
                _("number: “%(v)s” is not a whole number.") % {"v": raw.get("number")}
            )
            continue
        for name in ("title", "description"):
            item[name] = (item[name] or "").strip()
            if not item[name]:
                errors.setdefault(row, []).append(_("%(field)s: this field is required.") % {"field": name})
        for name in ("by_community", "by_committee", "by_company"):
            item[name] = bool(item[name])
        if not (item["by_community"] or item["by_committee"] or item["by_company"]):
            errors.setdefault(row, []).append(_("parties: name at least one responsible party."))
        if item["cadence"] not in Cadence.values:
            errors.setdefault(row, []).append(
                _("cadence: “%(v)s” is not a cadence.") % {"v": item["cadence"]}
            )
        clean.append(item)
    numbers = sorted(item["number"] for item in clean)
    if not errors and numbers != list(range(1, len(items) + 1)):
        errors["duties"] = [
            _("Duties must be numbered 1 to %(n)s without gaps or repeats; got %(got)s.")
            % {"n": len(items), "got": ", ".join(map(str, numbers))}
        ]
    if errors:
        raise ValidationError(errors)
    return sorted(clean, key=lambda item: item["number"])


def _duty_template_publish(
    *, street_office: StreetOffice, items: list[dict], reason: str, actor
) -> DutyListVersion:
    items = validate_duty_items(items)
    last = DutyListVersion.objects.filter(street_office=street_office).aggregate(v=Max("version"))["v"] or 0
    version = DutyListVersion.objects.create(
        street_office=street_office,
        version=last + 1,
        reason=reason,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    Duty.objects.bulk_create(Duty(duty_list=version, **item) for item in items)
    audit_record(actor=actor, action="duty_template.publish", obj=version, after={"items": items})
    return version


@transaction.atomic(durable=True)
def duty_template_publish(
    *, street_office: StreetOffice, items: list[dict], reason: str, actor
) -> DutyListVersion:
    """Publish a new version of the street office's template (existing compounds keep theirs)."""
    return _duty_template_publish(street_office=street_office, items=items, reason=reason, actor=actor)


class DutyListStaleError(ConflictError):
    """The editor started from a version that is no longer the current one (409)."""

    def __init__(self, current_version: int):
        self.current_version = current_version
        message = _(
            "based_on: version %(version)s was saved while you were editing, so nothing was saved; "
            "apply your changes to it and save again."
        ) % {"version": current_version}
        super().__init__(message, extra={"fields": {"based_on": [message]}})


def _duty_list_create_version(
    *, compound, items, based_on, reason, actor, based_on_version: int | None = None
) -> DutyListVersion:
    # Lock the compound so two concurrent revisions cannot take the same version number,
    # and so that the version the editor started from is compared with the current one.
    Compound.objects.select_for_update().get(pk=compound.pk)
    current = DutyListVersion.objects.filter(compound=compound).order_by("-version").first()
    if based_on_version is not None and current is not None and current.version != based_on_version:
        raise DutyListStaleError(current.version)
    items = validate_duty_items(items)
    version = DutyListVersion.objects.create(
        compound=compound,
        version=(current.version + 1) if current else 1,
        based_on=based_on or current,
        reason=reason,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    Duty.objects.bulk_create(Duty(duty_list=version, compound=compound, **item) for item in items)
    audit_record(
        actor=actor,
        action="duty_list.revise",
        obj=version,
        compound=compound,
        before={"items": _items_of(current)} if current else None,
        after={"items": items},
    )
    return version


@transaction.atomic(durable=True)
def duty_list_revise(
    *, compound: Compound, items: list[dict], reason: str, actor, based_on_version: int | None = None
) -> DutyListVersion:
    """Revise a compound's duty list: a new version; earlier versions stay readable.

    No lost update: given ``based_on_version`` (the version the editor opened), the
    revision is refused with ``DutyListStaleError`` (409) if another version has been
    saved since — checked under the compound lock, for the page and the API alike."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the duty list changes.")})
    return _duty_list_create_version(
        compound=compound,
        items=items,
        based_on=None,
        reason=reason,
        actor=actor,
        based_on_version=based_on_version,
    )
