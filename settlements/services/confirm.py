"""Confirmation (two committee members and one community official, each behind a fresh
second factor; never the company), then the release: the kept part moves to the owners'
fund by one balanced entry in the confirming transaction, and the release is filed as a
payout of category "settlement release" to the company (escrow's own workflow from there:
review → recheck → pay)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.stepup import SecondFactor, check_second_factor
from common.errors import ConflictError, PermissionDeniedError
from communities.audit import audit_record
from communities.models import Role
from communities.permissions import Capability, standing_in
from communities.selectors import active_company, users_with_roles
from escrow.ledger.services import credit, debit, ledger_post
from escrow.models import AttachmentKind, Category, EntryKind, PayoutCategory, PayoutRequest
from escrow.payouts import services as payouts
from settlements.figures import SettlementError, field_error
from settlements.models import (
    ConfirmationParty,
    Settlement,
    SettlementConfirmation,
    SettlementFormat,
    SettlementStatus,
)
from settlements.notifications import notify_parties

NEEDED = {ConfirmationParty.COMMITTEE: 2, ConfirmationParty.COMMUNITY: 1}
COMMITTEE_ROLES = {Role.COMMITTEE_MEMBER, Role.COMMITTEE_CHAIR}
COMPANY_ROLES = {Role.COMPANY_MANAGER, Role.COMPANY_STAFF}
RELEASE_LEASE = dt.timedelta(minutes=5)


def release_marker(settlement: Settlement) -> str:
    """Names the settlement in the payout's purpose: how a resumed release finds its payout."""
    return f"年度结算#{settlement.pk}"


def confirmation_refusal(settlement: Settlement, actor) -> tuple[str | None, str | None]:
    """(party, None) if ``actor`` may confirm now, else (None, why not)."""
    standing = standing_in(actor, settlement.compound)
    if standing.roles & COMPANY_ROLES or standing.company_ids:
        return None, _("confirmer: people of the property company never confirm its settlement.")
    done = set(settlement.confirmations.values_list("party", flat=True).order_by())
    counts = {
        party: settlement.confirmations.filter(party=party).count() for party in ConfirmationParty.values
    }
    del done
    if standing.roles & COMMITTEE_ROLES and counts["committee"] < NEEDED["committee"]:
        return ConfirmationParty.COMMITTEE, None
    if Role.COMMUNITY_OFFICIAL in standing.roles and counts["community"] < NEEDED["community"]:
        return ConfirmationParty.COMMUNITY, None
    if standing.roles & (COMMITTEE_ROLES | {Role.COMMUNITY_OFFICIAL}):
        return None, _("confirmer: your side has already confirmed this settlement.")
    return None, _("confirmer: only committee members and community officials confirm a settlement.")


@transaction.atomic(durable=True)
def settlement_confirm(
    *, settlement: Settlement, actor, second_factor: SecondFactor | None, digest: str
) -> Settlement:
    """One confirmation of the figures with ``digest``; the last one needed confirms the
    settlement and posts the owners' fund entry in this transaction."""
    settlement = Settlement.objects.select_for_update().select_related("compound").get(pk=settlement.pk)
    if settlement.status != SettlementStatus.READY:
        raise ConflictError(
            _("This settlement is not waiting for confirmation (it is “%(s)s”).")
            % {"s": settlement.get_status_display()}
        )
    if digest != settlement.digest:
        raise field_error("digest", _("digest: the figures changed since you read them; read them again."))
    figures = settlement.figures["figures"]
    distributable = max(figures["distributable"], 0)
    if (
        settlement.release_fen > distributable
        or settlement.release_fen + settlement.kept_fen != distributable
    ):
        # Only possible by writing the row behind the services: never move money on it.
        raise field_error(
            "release",
            _("release: %(r)s fen is not what the distributable %(d)s fen allows; run a correction.")
            % {"r": settlement.release_fen, "d": distributable},
        )
    party, why = confirmation_refusal(settlement, actor)
    if party is None:
        raise PermissionDeniedError(why, extra={"fields": {"confirmer": [why]}})
    proof = check_second_factor(second_factor)
    try:
        with transaction.atomic():
            confirmation = SettlementConfirmation.objects.create(
                settlement=settlement,
                signer=actor,
                party=party,
                digest=settlement.digest,
                second_factor=proof.method,
                second_factor_at=proof.at,
            )
    except IntegrityError:
        raise ConflictError(_("You have already confirmed this settlement.")) from None
    audit_record(
        actor=actor,
        action="settlement.confirm",
        obj=confirmation,
        compound=settlement.compound,
        after={"party": party, "digest": settlement.digest},
    )
    complete = all(settlement.confirmations.filter(party=p).count() >= n for p, n in NEEDED.items())
    if not complete:
        return settlement
    if settlement.kept_fen:
        result = ledger_post(
            compound=settlement.compound,
            kind=EntryKind.OWNERS_FUND_TRANSFER,
            legs=[
                debit(Category.FEE_INCOME, settlement.kept_fen),
                credit(Category.OWNERS_FUND, settlement.kept_fen),
            ],
            # Hashed into the chain: one fixed wording, never translated.
            memo=f"{settlement.year}年度结算 留存业主共有资金（{release_marker(settlement)}）",
            effective_date=timezone.localdate(),
            actor=actor,
            idempotency_key=f"settlement:{settlement.pk}:owners_fund",
        )
        settlement.owners_fund_entry = result.entry
    settlement.status = SettlementStatus.CONFIRMED if settlement.release_fen else SettlementStatus.RELEASED
    settlement.confirmed_at = timezone.now()
    settlement.claimed_at = None
    settlement.save(update_fields=["owners_fund_entry", "status", "confirmed_at", "claimed_at"])
    audit_record(
        actor=actor,
        action="settlement.confirmed",
        obj=settlement,
        compound=settlement.compound,
        after={
            "release_fen": settlement.release_fen,
            "kept_fen": settlement.kept_fen,
            "owners_fund_entry": settlement.owners_fund_entry_id,
        },
    )
    notify_parties(settlement, "confirmed")
    if settlement.release_fen:
        pk = settlement.pk
        transaction.on_commit(lambda: _send_release(pk))
    return settlement


def _send_release(pk: int) -> None:
    from celery import current_app

    current_app.tasks["settlements.settlement_release"].delay(pk)


def _applicant(settlement: Settlement):
    company = active_company(settlement.compound)
    if company is None:
        raise SettlementError(_("This compound has no property company to release to."))
    for user in users_with_roles(settlement.compound, [Role.COMPANY_MANAGER, Role.COMPANY_STAFF]):
        standing = standing_in(user, settlement.compound)
        if company.pk in standing.company_ids and standing.can(Capability.APPLY_PAYOUT):
            return user, company
    raise SettlementError(_("The property company has nobody who can file the release payout."))


def _payee_account(settlement: Settlement, company) -> str:
    if settlement.payee_account_masked:
        return settlement.payee_account_masked
    last = (
        PayoutRequest.objects.filter(compound=settlement.compound, payee_company=company)
        .exclude(payee_account_masked="")
        .order_by("-pk")
        .values_list("payee_account_masked", flat=True)
        .first()
    )
    if not last:
        raise SettlementError(
            _("payee_account: the company's bank account is not known; give it when running.")
        )
    return last


def settlement_release(settlement_id: int) -> Settlement | None:
    """File the release payout of a confirmed settlement, exactly once (resumable: a payout
    filed before a kill is found by its marker). Not atomic itself: escrow's filing is durable."""
    now = timezone.now()
    taken = Settlement.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - RELEASE_LEASE),
        pk=settlement_id,
        status=SettlementStatus.CONFIRMED,
    ).update(claimed_at=now)
    if not taken:
        return None
    settlement = Settlement.objects.select_related("compound").get(pk=settlement_id)
    payout = PayoutRequest.objects.filter(
        compound=settlement.compound,
        category=PayoutCategory.SETTLEMENT_RELEASE,
        purpose__startswith=release_marker(settlement) + " ",
    ).first()
    if payout is None:
        try:
            payout = _file_release(settlement)
        except Exception as exc:
            # Left confirmed: the sweep tries again once the claim is stale.
            Settlement.objects.filter(pk=settlement_id).update(
                last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            raise
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update().get(pk=settlement_id)
        if settlement.status != SettlementStatus.CONFIRMED:
            return settlement
        settlement.payout = payout
        settlement.status = SettlementStatus.RELEASED
        settlement.last_error = ""
        settlement.save(update_fields=["payout", "status", "last_error"])
        audit_record(
            actor=None,
            action="settlement.release",
            obj=settlement,
            compound=settlement.compound,
            after={"payout": payout.pk, "amount_fen": payout.amount_fen},
        )
        notify_parties(settlement, "released")
    return settlement


def _file_release(settlement: Settlement) -> PayoutRequest:
    """Escrow's own filing (durable, all or nothing): submitted at once, the settlement PDF attached."""
    applicant, company = _applicant(settlement)
    pdf = settlement.files.get(format=SettlementFormat.PDF).content
    name = f"settlement-{settlement.compound.slug}-{settlement.year}-v{settlement.version}.pdf"
    policy = payouts.payout_policy(settlement.compound)
    attachments = [(AttachmentKind.OTHER, SimpleUploadedFile(name, bytes(pdf), "application/pdf"))]
    extra = {}
    if settlement.release_fen >= policy.resolution_threshold_fen:
        # The confirmed settlement (two committee members and an official) is the decision.
        attachments.append((AttachmentKind.MINUTES, SimpleUploadedFile(name, bytes(pdf), "application/pdf")))
        extra = {
            "resolution_number": f"结算{settlement.year}-{settlement.pk}-v{settlement.version}",
            "resolution_date": timezone.localtime(settlement.confirmed_at).date(),
        }
    return payouts.payout_file(
        compound=settlement.compound,
        actor=applicant,
        attachments=attachments,
        submit=True,
        category=PayoutCategory.SETTLEMENT_RELEASE,
        expense_account=Category.SETTLEMENT_RELEASE,
        payee_name=company.name,
        payee_account=_payee_account(settlement, company),
        payee_company=company,
        amount_fen=settlement.release_fen,
        purpose=f"{release_marker(settlement)} {settlement.year}年度结算拨付（摘要 {settlement.digest[:12]}）",
        **extra,
    )


def release_differences(settlement: Settlement) -> list[str]:
    """What about the release payout differs from the settlement (empty when it matches):
    the settlement keeps the amount, so a payout changed behind the services shows here."""
    payout = settlement.payout
    if payout is None:
        return []
    out = []
    if payout.amount_fen != settlement.release_fen:
        out.append(
            _("amount: the payout is %(p)s fen, the settlement says %(s)s fen")
            % {"p": payout.amount_fen, "s": settlement.release_fen}
        )
    if payout.category != PayoutCategory.SETTLEMENT_RELEASE:
        out.append(_("category: the payout is not a settlement release"))
    return out
