"""Who may read which part of a compound's escrow ledger (DESIGN.md §2, §5.8–9).

Built on ``communities.permissions``; nothing here grants more than a role does there.

* The chain head (entry count and last hash) is public: it is what a quarterly
  disclosure publishes, so that anyone can re-verify the ledger against it.
* Balances by category are a members' read (``VIEW_MEMBERS_AREA``): the same summary
  a disclosure shows, for everyone who may enter the compound's members' area.
* The journal itself — every entry with its lines — needs ``VIEW_FULL_LEDGER``.

A compound the user may not read answers exactly like a slug that does not exist
(``Http404`` for pages, ``NotFoundError`` for the API).
"""

from __future__ import annotations

from django.db.models import QuerySet

from communities.models import Compound
from communities.permissions import (
    Capability,
    Standing,
    access_compound,
    compound_for_api,
    compounds_visible_to,
    standing_in,
)
from escrow.models import JournalEntry

LEDGER_ENTRIES = Capability.VIEW_FULL_LEDGER
LEDGER_BALANCES = Capability.VIEW_MEMBERS_AREA


def ledger_visible_to(user, compound: Compound) -> bool:
    """May ``user`` read every journal entry of ``compound``?"""
    return standing_in(user, compound).can(LEDGER_ENTRIES)


def balances_visible_to(user, compound: Compound) -> bool:
    """May ``user`` read the compound's balances by category?"""
    return standing_in(user, compound).can(LEDGER_BALANCES)


def compounds_with_ledger_visible_to(user) -> QuerySet[Compound]:
    """The compounds whose full journal ``user`` may read (one standing per reachable
    compound: fine for a person's handful of compounds, not for a city-wide scan)."""
    ids = [c.pk for c in compounds_visible_to(user) if standing_in(user, c).can(LEDGER_ENTRIES)]
    return Compound.objects.filter(pk__in=ids)


def journal_entries_visible_to(user) -> QuerySet[JournalEntry]:
    """Journal entries of every compound whose full ledger ``user`` may read."""
    return JournalEntry.objects.filter(compound__in=compounds_with_ledger_visible_to(user))


def access_ledger(user, slug: str, capability: Capability = LEDGER_ENTRIES) -> tuple[Compound, Standing]:
    """The compound and the user's standing if they may use ``capability`` on its ledger;
    otherwise ``Http404``, the same as for a missing slug."""
    return access_compound(user, slug, capability)


def access_ledger_for_api(
    user, slug: str, capability: Capability = LEDGER_ENTRIES
) -> tuple[Compound, Standing]:
    """API flavour of ``access_ledger``: ``NotFoundError`` (404 in the one error shape)."""
    return compound_for_api(user, slug, see=capability)


def public_ledger_compound(slug: str) -> Compound | None:
    """The compound whose public ledger facts (the chain head) anyone may read."""
    return Compound.objects.filter(slug=slug).first()
