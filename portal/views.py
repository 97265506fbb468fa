"""The public compound page: what anyone may know about a compound, composed from
communities (who runs it, the duty list) and escrow (the money and its disclosures)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from assessments.selectors import public_scores, repair_stats
from common.choices import choice_label
from common.money import format_yuan
from communities import selectors
from communities.models import Compound
from communities.permissions import Capability, standing_in
from escrow.fees.reconciliation import unexplained_outflows
from escrow.models import Category
from escrow.transparency.ledger_selectors import public_funds
from escrow.transparency.selectors import latest_published
from escrow.transparency.views import detail_url, ledger_export_url
from meetings.selectors import public_section
from portal.home import home_for, pilot_stories, unread_notifications


def compound_public(request, slug):
    """What anyone may know about a compound: who runs it, the 19 duties, and its escrow
    account (balance, this year's income and expenses, the latest quarterly disclosures,
    the hash chain's checkpoint). No names beyond the committee's, no phone numbers and
    no units here — the page needs no log-in."""
    compound = selectors.public_compound(slug)
    if compound is None:
        raise Http404
    duty_list = selectors.current_duty_list(compound)
    committee = [
        # Never str(user): a user without a display name would show the phone number.
        {"role": m.get_role_display(), "title": m.title, "name": m.user.display_name or _("(name not given)")}
        for m in selectors.committee_seats(compound)
    ]
    # Members get a link to their page; everyone else sees nothing that hints at it.
    is_member = request.user.is_authenticated and standing_in(request.user, compound).can(
        Capability.VIEW_MEMBERS_AREA
    )
    return render(
        request,
        "communities/compound_public.html",
        {
            "compound": compound,
            "contract": selectors.active_contract(compound),
            "committee": committee,
            "duty_list": duty_list,
            "duty_count": len(duty_list.duties.all()) if duty_list else 0,
            "duty_groups": selectors.duties_by_party(duty_list),
            "steward_count": selectors.steward_count(compound),
            "is_member": is_member,
            **selectors.people_serving(compound, public=True),
            **_public_funds_context(compound),
            "scores": public_scores(compound),
            "repairs": repair_stats(compound),
            "meetings_section": public_section(compound),
        },
    )


def _public_funds_context(compound: Compound) -> dict:
    """The escrow account's public block: balance, this year's income and expenses by
    category, the latest published disclosures and the hash chain's checkpoint. Amounts
    become yuan here; nothing in it names a person or a unit."""
    funds = public_funds(compound)
    if funds is None:
        return {"funds": None, "disclosures": []}

    def rows(totals):
        return [
            {"code": t.code, "label": choice_label(Category, t.category), "amount": format_yuan(t.amount)}
            for t in totals
        ]

    return {
        "funds": {
            "year": funds.year,
            "cash": format_yuan(funds.cash),
            "income": rows(funds.income),
            "income_total": format_yuan(funds.income_total),
            "expenses": rows(funds.expenses),
            "expense_total": format_yuan(funds.expense_total),
            "entry_count": funds.entry_count,
            "head_hash": funds.head_hash,
            "opened_on": funds.opened_on,
            "export_url": ledger_export_url(compound, through=funds.entry_count),
        },
        "disclosures": [{"disclosure": d, "url": detail_url(d)} for d in latest_published(compound, 4)],
        # Money that left the account and no payout explains: shown until someone explains it.
        "unexplained": [
            {"date": line.date, "amount": format_yuan(line.amount_fen)}
            for line in unexplained_outflows(compound)[:50]
        ],
    }


def home(request):
    """Anonymous: the pilot compounds and their public pages. Logged in: per compound, what
    waits for me, my flats (balance due, last payments) and the pages I use, one tap away
    (portal.home)."""
    if not request.user.is_authenticated:
        compounds = selectors.pilot_compounds().select_related("community__street_office")
        return render(
            request, "communities/landing.html", {"compounds": compounds, "stories": pilot_stories(compounds)}
        )
    mine = home_for(request.user)
    unread, notifications = unread_notifications(request.user)
    return render(
        request,
        "communities/home.html",
        {
            "mine": mine,
            "unread": unread,
            "notifications": notifications,
            "compounds": [] if mine else selectors.pilot_compounds(),
        },
    )
