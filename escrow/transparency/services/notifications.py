"""Who is told about disclosures: members when one is published, officials when one is ready, the street office when a build keeps failing."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notify
from communities.models import Compound, Role, UnitOwnership
from communities.selectors import users_with_roles
from escrow.models import (
    Disclosure,
)


def _disclosure_list_url(compound: Compound) -> str:
    return reverse("escrow:disclosure-list", kwargs={"slug": compound.slug})


def _members_of(compound: Compound) -> list:
    today = timezone.localdate()
    owners = UnitOwnership.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today), compound=compound, start_date__lte=today
    ).values("user_id")
    people = {u.pk: u for u in User.objects.filter(pk__in=owners, is_active=True)}
    for user in users_with_roles(compound, [r for r in Role.values if r != Role.OWNER]):
        people[user.pk] = user
    return list(people.values())


def _notify_members_published(disclosure: Disclosure) -> None:
    compound = disclosure.compound
    notify(
        users=_members_of(compound),
        kind="disclosure.published",
        title=_("%(compound)s: the %(y)s Q%(q)s fund disclosure is published")
        % {"compound": compound.name, "y": disclosure.year, "q": disclosure.quarter},
        body=_(
            "Opening balance, income, expenses and closing balance of the escrow account, with every payout."
        ),
        url=_disclosure_list_url(compound),
        compound=compound,
    )


def _notify_officials_ready(disclosure: Disclosure) -> None:
    compound = disclosure.compound
    with transaction.atomic():
        notify(
            users=users_with_roles(compound, [Role.COMMUNITY_OFFICIAL, Role.STREET_ADMIN]),
            kind="disclosure.ready",
            title=_("%(compound)s: the %(y)s Q%(q)s disclosure is ready to publish")
            % {"compound": compound.name, "y": disclosure.year, "q": disclosure.quarter},
            url=_disclosure_list_url(compound),
            compound=compound,
        )


def _notify_build_failing(disclosure_id: int, error: str) -> None:
    disclosure = Disclosure.objects.select_related("compound").get(pk=disclosure_id)
    compound = disclosure.compound
    with transaction.atomic():
        notify(
            users=users_with_roles(compound, [Role.COMMUNITY_OFFICIAL, Role.STREET_ADMIN]),
            kind="disclosure.failing",
            title=_("%(compound)s: the %(y)s Q%(q)s disclosure keeps failing to build")
            % {"compound": compound.name, "y": disclosure.year, "q": disclosure.quarter},
            body=error,
            url=_disclosure_list_url(compound),
            compound=compound,
        )
