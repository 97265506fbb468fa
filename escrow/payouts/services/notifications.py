"""Who is told what about payouts: the next signers, the applicant, reminders after 3 days and escalation to the street office after 7."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import notify
from common.money import format_yuan
from communities.models import Role
from communities.selectors import users_with_roles
from escrow.models import (
    PayoutRequest,
    PayoutStatus,
)
from escrow.payouts.services.rules import next_signers

REMIND_AFTER = dt.timedelta(days=3)


ESCALATE_AFTER = dt.timedelta(days=7)


def payout_url(payout) -> str:
    """The request's page, or '' where no URLs are mounted (a worker): the inbox entry still works."""
    try:
        return reverse("escrow:payout-detail", kwargs={"slug": payout.compound.slug, "pk": payout.pk})
    except Exception:  # pages not mounted (e.g. a worker without URLs) — the inbox still works
        return ""


def _notify_next_signers(payout: PayoutRequest) -> None:
    users = next_signers(payout)
    notify(
        users=users,
        kind="payout.waiting",
        compound=payout.compound,
        title=_("Payout #%(n)s waits for your signature: %(a)s to %(p)s")
        % {"n": payout.pk, "a": format_yuan(payout.amount_fen), "p": payout.payee_name},
        body=payout.purpose,
        url=payout_url(payout),
    )


def _notify_applicant(payout: PayoutRequest, title: str, body: str = "") -> None:
    notify(
        users=[payout.applicant],
        kind="payout.decision",
        compound=payout.compound,
        title=title,
        body=body,
        url=payout_url(payout),
    )


def payouts_remind(*, now: dt.datetime | None = None) -> dict:
    """Daily: remind the next signers after 3 days of waiting, escalate to the street
    office after 7. Each request is reminded and escalated once per waiting step."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    waiting = PayoutRequest.objects.filter(status__in=(PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED))
    for payout_id in waiting.filter(
        waiting_since__lte=now - REMIND_AFTER, reminded_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            payout = (
                PayoutRequest.objects.select_for_update(of=("self",))
                .select_related("compound")
                .get(pk=payout_id)
            )
            if payout.reminded_at or payout.status not in (PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED):
                continue
            payout.reminded_at = now
            payout.save(update_fields=["reminded_at"])
            notify(
                users=next_signers(payout),
                kind="payout.reminder",
                compound=payout.compound,
                title=_("Reminder: payout #%(n)s has waited 3 days for your signature") % {"n": payout.pk},
                url=payout_url(payout),
            )
            counts["reminded"] += 1
    for payout_id in waiting.filter(
        waiting_since__lte=now - ESCALATE_AFTER, escalated_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            payout = (
                PayoutRequest.objects.select_for_update(of=("self",))
                .select_related("compound__community")
                .get(pk=payout_id)
            )
            if payout.escalated_at or payout.status not in (PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED):
                continue
            payout.escalated_at = now
            payout.save(update_fields=["escalated_at"])
            notify(
                users=users_with_roles(payout.compound, [Role.STREET_ADMIN]),
                kind="payout.escalation",
                compound=payout.compound,
                title=_("Payout #%(n)s in %(c)s has waited 7 days for signatures")
                % {"n": payout.pk, "c": payout.compound.name},
                url=payout_url(payout),
            )
            counts["escalated"] += 1
    return counts
