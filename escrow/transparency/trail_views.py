"""A paid payout's approval trail, linked from each payout row of the ledger:
``/c/<slug>/ledger/payouts/<pk>/``.

Public, like the payouts a disclosure itemizes: category, amount, purpose, payee (a
refund's resident masked), who signed in which role and when. Signers' names only for
members of the compound (``VIEW_MEMBERS_AREA``); the evidence files (invoices, quotes)
only for those who may read the full ledger, through the payouts' own checked view.
Requests not paid yet, or of another compound, answer 404 like a missing one.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from common.choices import choice_label
from common.money import format_yuan
from communities.models import Role
from communities.permissions import Capability, standing_in
from escrow.ledger.permissions import public_ledger_compound
from escrow.models import AttachmentKind, Category, Decision, PayoutCategory, SignatureStep
from escrow.transparency import ledger_selectors as selectors


@require_GET
def ledger_payout_trail(request, slug, pk):
    compound = public_ledger_compound(slug)
    if compound is None:
        raise Http404
    payout = selectors.paid_payout_trail(compound, pk)
    if payout is None:
        raise Http404
    standing = standing_in(request.user, compound)
    member = standing.can(Capability.VIEW_MEMBERS_AREA)
    may_open_files = standing.can(Capability.VIEW_FULL_LEDGER)
    entry = payout.journal_entry
    signatures = [
        {
            "step": choice_label(SignatureStep, s.step),
            "role": choice_label(Role, s.role),
            "decision": choice_label(Decision, s.decision),
            "approved": s.decision == Decision.APPROVE,
            "date": s.signed_at,
            "name": (s.signer.display_name or _("(name not given)")) if member else "",
        }
        for s in payout.signatures.all()
    ]
    attachments = (
        [
            {
                "kind": choice_label(AttachmentKind, a.kind),
                "name": a.original_name,
                "size": a.size,
                "url": reverse("escrow:payout-attachment", args=[compound.slug, payout.pk, a.pk]),
            }
            for a in payout.attachments.all()
        ]
        if may_open_files
        else []
    )
    context = {
        "compound": compound,
        "payout": payout,
        "category": choice_label(PayoutCategory, payout.category),
        "expense_account": choice_label(Category, payout.expense_account),
        "amount": format_yuan(payout.amount_fen),
        "payee": payout.public_payee,
        "entry": entry,
        "entry_url": reverse("escrow:ledger", args=[compound.slug])
        + f"?before={entry.sequence + 1}#entry-{entry.sequence}",
        "signatures": signatures,
        "member": member,
        "attachments": attachments,
        "attachment_count": len(payout.attachments.all()),
        "may_open_files": may_open_files,
        # The joint payment order names the signers: for those who may open the evidence.
        "order_url": reverse("escrow:payout-order", kwargs={"slug": compound.slug, "pk": payout.pk})
        if may_open_files
        else "",
    }
    return render(request, "escrow/ledger/payout_trail.html", context)
