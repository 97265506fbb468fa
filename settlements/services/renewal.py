"""Contract renewal against the settlement's recommendation (communities never imports
settlements: this wraps ``communities.services.contract_handover`` with the same company),
and the warning of a contract ending within 90 days."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import notify
from common.errors import PermissionDeniedError
from communities import services as communities
from communities.audit import audit_record
from communities.models import Compound, Role, ServiceContract
from communities.permissions import standing_in
from communities.selectors import active_contract, users_with_roles
from settlements.figures import field_error
from settlements.models import RenewalDecision, Settlement, SettlementStatus

WARN_WITHIN = dt.timedelta(days=90)
RENEWERS = {Role.COMMITTEE_CHAIR, Role.COMMUNITY_OFFICIAL}


def latest_settlement(compound: Compound) -> Settlement | None:
    return (
        Settlement.objects.filter(compound=compound, figures__isnull=False)
        .exclude(
            status__in=[SettlementStatus.SUPERSEDED, SettlementStatus.PENDING, SettlementStatus.BUILDING]
        )
        .order_by("-year", "-version")
        .first()
    )


def renewal_recommended(compound: Compound) -> bool | None:
    """The latest settlement's recommendation; None when nothing is settled yet."""
    settlement = latest_settlement(compound)
    return None if settlement is None else bool(settlement.figures["figures"]["renewal_recommended"])


def contract_renew(
    *,
    compound: Compound,
    actor,
    start_date: dt.date,
    fee_rate_fen: int,
    end_date: dt.date | None = None,
    resolution_number: str = "",
    resolution_date: dt.date | None = None,
) -> ServiceContract:
    """Renew the active contract with the same company. Refused when the latest settlement
    does not recommend renewal, unless the owners' decision (number and date) is given."""
    if not standing_in(actor, compound).roles & RENEWERS:
        raise PermissionDeniedError(_("Only the committee chair or a community official renews a contract."))
    contract = active_contract(compound)
    if contract is None:
        raise field_error("compound", _("This compound has no active contract to renew."))
    settlement = latest_settlement(compound)
    needs_decision = settlement is not None and not settlement.figures["figures"]["renewal_recommended"]
    resolution_number = (resolution_number or "").strip()
    if needs_decision:
        message = _(
            "resolution_number: the %(y)s settlement does not recommend renewal; record the owners' decision (number and date)."
        ) % {"y": settlement.year}
        if not resolution_number:
            raise field_error("resolution_number", message)
        if resolution_date is None or resolution_date > timezone.localdate():
            raise field_error(
                "resolution_date",
                _("resolution_date: give the date of the owners' decision (not in the future)."),
            )
    renewed = communities.contract_handover(
        compound=compound,
        company=contract.company,
        start_date=start_date,
        fee_rate_fen=fee_rate_fen,
        end_date=end_date,
        actor=actor,
    )
    if needs_decision:
        with transaction.atomic():
            decision = RenewalDecision.objects.create(
                settlement=settlement,
                resolution_number=resolution_number[:60],
                resolution_date=resolution_date,
                recorded_by=actor,
            )
            audit_record(actor=actor, action="settlement.renewal_decision", obj=decision, compound=compound)
    return renewed


def contracts_warn_ending(*, today: dt.date | None = None) -> list[int]:
    """Daily: an active contract ending within 90 days warns the committee and the
    community once (the audit event is the memory of the warning)."""
    from communities.models import AuditEvent

    today = today or timezone.localdate()
    warned = []
    for contract in ServiceContract.objects.filter(
        status=ServiceContract.Status.ACTIVE,
        end_date__isnull=False,
        end_date__lte=today + WARN_WITHIN,
        end_date__gte=today,
    ).select_related("compound", "company"):
        if AuditEvent.objects.filter(
            action="contract.ending_warned",
            object_type="communities.ServiceContract",
            object_id=str(contract.pk),
        ).exists():
            continue
        with transaction.atomic():
            compound = contract.compound
            recommended = renewal_recommended(compound)
            title = _("%(compound)s: the contract with %(company)s ends on %(end)s") % {
                "compound": compound.name,
                "company": contract.company.name,
                "end": contract.end_date,
            }
            if recommended is False:
                title += _(" (the latest settlement does not recommend renewal)")
            notify(
                users=users_with_roles(
                    compound, [Role.COMMITTEE_MEMBER, Role.COMMITTEE_CHAIR, Role.COMMUNITY_OFFICIAL]
                ),
                kind="contract.ending",
                title=title,
                compound=compound,
            )
            audit_record(actor=None, action="contract.ending_warned", obj=contract, compound=compound)
        warned.append(contract.pk)
    return warned
