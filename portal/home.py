"""What a person's home page shows: per compound, what waits for them and, for an owner,
each of their flats with the balance due and the last payments; the places they use most
one tap away. Reads only, through the selectors of each app (escrow's as they are today).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Notification
from common.money import format_yuan
from communities.models import Role, Unit, UnitOwnership, _active_q
from communities.permissions import Capability, Standing, role_labels
from communities.selectors import my_compounds
from escrow.fees.selectors import suspense_payments, unit_arrears_fen, unit_statement
from escrow.models import Disclosure, DisclosureStatus, EscrowAccount, PayoutStatus
from escrow.payouts.selectors import payout_list, payouts_waiting_for
from escrow.transparency.selectors import latest_published
from escrow.transparency.views import detail_url
from street.selectors import DashboardQuery, totals

LAST_PAYMENTS = 3
STREET_ROLES = {Role.STREET_ADMIN, Role.STREET_INSPECTOR}


@dataclass
class Link:
    label: str
    url: str
    count: int | None = None  # shown as a badge when not None


@dataclass
class UnitCard:
    unit: Unit
    balance_due: str  # yuan; "" when nothing is owed
    credit: str  # yuan paid ahead; "" when none
    last_payments: list[dict]
    statement_url: str


@dataclass
class HomeCompound:
    compound: object
    roles: list[str]
    waiting: list[Link] = field(default_factory=list)
    units: list[UnitCard] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    latest_disclosure: Link | None = None
    street: bool = False  # a street-office role: the street dashboard's place on the page


def _has_escrow(compound) -> bool:

    return EscrowAccount.objects.filter(compound=compound).exists()


def _units(user, compound) -> list[UnitCard]:

    owned = Unit.objects.filter(
        pk__in=UnitOwnership.objects.filter(_active_q(), user=user, compound=compound).values("unit_id")
    ).select_related("building", "compound")
    cards = []
    for unit in owned:
        balance = unit_arrears_fen(unit)
        payments = [line for line in unit_statement(unit) if line.kind == "payment"][-LAST_PAYMENTS:]
        cards.append(
            UnitCard(
                unit=unit,
                balance_due=format_yuan(balance) if balance > 0 else "",
                credit=format_yuan(-balance) if balance < 0 else "",
                last_payments=[
                    {"day": line.day, "amount": format_yuan(line.paid_fen)} for line in reversed(payments)
                ],
                statement_url=reverse("escrow:unit-statement", args=[compound.slug, unit.pk]),
            )
        )
    return cards


def _waiting(user, compound, standing: Standing) -> list[Link]:
    """Counts of what waits for this person's action, each linking to where it is done."""

    slug = compound.slug
    items = []
    if standing.can(Capability.REVIEW_PAYOUT) or standing.can(Capability.RECHECK_PAYOUT):
        items.append(
            Link(
                _("Payouts waiting for your signature"),
                reverse("escrow:payout-inbox", args=[slug]),
                payouts_waiting_for(compound=compound, standing=standing, user=user).count(),
            )
        )
    if standing.can(Capability.RECORD_PAYOUT_PAYMENT):
        items.append(
            Link(
                _("Approved payouts to pay"),
                reverse("escrow:payout-list", args=[slug]) + f"?status={PayoutStatus.RECHECKED}",
                payout_list(
                    compound=compound, standing=standing, user=user, status=PayoutStatus.RECHECKED
                ).count(),
            )
        )
    if standing.can(Capability.APPLY_PAYOUT):
        mine = payout_list(compound=compound, standing=standing, user=user, mine=True)
        items.append(
            Link(
                _("Your drafts and returned requests"),
                reverse("escrow:payout-mine", args=[slug]),
                mine.filter(status__in=[PayoutStatus.DRAFT, PayoutStatus.REJECTED]).count(),
            )
        )
    if standing.can(Capability.MANAGE_SUSPENSE):
        items.append(
            Link(
                _("Payments nobody has claimed yet"),
                reverse("escrow:suspense", args=[slug]),
                suspense_payments(compound).count(),
            )
        )
    if standing.can(Capability.PUBLISH_DISCLOSURE):
        items.append(
            Link(
                _("Disclosures ready to publish"),
                reverse("escrow:disclosure-list", args=[slug]),
                Disclosure.objects.filter(compound=compound, status=DisclosureStatus.READY).count(),
            )
        )
    return items


def _links(user, compound, standing: Standing, *, owner: bool) -> list[Link]:
    slug = compound.slug
    links = []
    if owner:
        links.append(Link(_("Where my fee went"), reverse("escrow:my-fee", args=[slug])))
    if standing.can(Capability.VIEW_FULL_LEDGER):
        links.append(Link(_("Escrow ledger"), reverse("escrow:ledger", args=[slug])))
        links.append(Link(_("Payout requests"), reverse("escrow:payout-list", args=[slug])))
    links.append(Link(_("Quarterly disclosures"), reverse("escrow:disclosure-list", args=[slug])))
    if standing.can(Capability.VIEW_ARREARS):
        links.append(Link(_("Arrears"), reverse("escrow:arrears", args=[slug])))
        links.append(Link(_("Collection rate"), reverse("escrow:collection", args=[slug])))
    if standing.can(Capability.RECORD_PAYMENT_RECEIVED):
        links.append(Link(_("Record a payment"), reverse("escrow:payment-record", args=[slug])))
    if standing.can(Capability.APPLY_PAYOUT):
        links.append(Link(_("New payout request"), reverse("escrow:payout-new", args=[slug])))
    # Every member reports or follows repairs and raises topics (a steward's whole job).
    links.append(Link(_("Repair requests"), reverse("assessments:repair-list", args=[slug])))
    links.append(Link(_("Topics, meetings and votes"), reverse("meetings:home", args=[slug])))
    links.append(Link(_("Members' page"), reverse("compound-members", args=[slug])))
    links.append(Link(_("Public page"), reverse("compound-public", args=[slug])))
    return links


def _latest_disclosure(compound) -> Link | None:

    latest = latest_published(compound, 1)
    if not latest:
        return None
    d = latest[0]
    return Link(_("%(year)s Q%(quarter)s disclosure") % {"year": d.year, "quarter": d.quarter}, detail_url(d))


def home_for(user) -> list[HomeCompound]:
    """The home page's blocks, one per compound the person belongs to."""
    blocks = []
    for item in my_compounds(user):
        compound, standing = item.compound, item.standing
        escrow = _has_escrow(compound)
        owner = Role.OWNER in standing.roles
        block = HomeCompound(
            compound=compound,
            roles=role_labels(standing.roles),
            street=bool(STREET_ROLES & standing.roles),
        )
        if escrow:
            block.waiting = _waiting(user, compound, standing)
            block.units = _units(user, compound) if owner else []
            block.links = _links(user, compound, standing, owner=owner)
            block.latest_disclosure = _latest_disclosure(compound)
        else:
            block.links = [
                Link(_("Members' page"), reverse("compound-members", args=[compound.slug])),
                Link(_("Public page"), reverse("compound-public", args=[compound.slug])),
            ]
        blocks.append(block)
    return blocks


def unread_notifications(user, n: int = 3):
    """The unread count and the newest ``n`` unread notifications."""

    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    return unread.count(), list(unread.order_by("-created_at", "-id")[:n])


@dataclass
class PilotStory:
    """A street office's pilots in the figures the scheme is judged by (the street
    dashboard's headline totals, which are sums over the pilots and name no one)."""

    office: str
    compounds: int
    money_managed: str  # yuan
    meetings_held: int
    topics_resolved: int
    score_then: object
    score_now: object
    stewards: int | None
    first_month: object
    last_month: object


def pilot_stories(compounds) -> list[PilotStory]:
    """Per street office with pilot compounds: money managed through the escrow accounts,
    joint meetings held, topics resolved, the mean score first → latest, stewards."""
    offices = {c.community.street_office_id: c.community.street_office for c in compounds}
    out = []
    for office in offices.values():
        t = totals(office, DashboardQuery.parse({}))
        if not t.compounds:
            continue
        out.append(
            PilotStory(
                office=office.name,
                compounds=t.compounds,
                money_managed=format_yuan(t.money_managed_fen),
                meetings_held=t.meetings_held,
                topics_resolved=t.topics_resolved,
                score_then=t.score_then,
                score_now=t.score_now,
                stewards=t.stewards,
                first_month=t.first_month,
                last_month=t.last_month,
            )
        )
    return out
