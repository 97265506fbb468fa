"""escrow.ledger.permissions: who reads which part of a compound's ledger."""

from __future__ import annotations

import pytest
from django.http import Http404

from common.errors import NotFoundError
from escrow.ledger.permissions import (
    access_ledger,
    access_ledger_for_api,
    balances_visible_to,
    compounds_with_ledger_visible_to,
    journal_entries_visible_to,
    ledger_visible_to,
    public_ledger_compound,
)
from escrow.models import JournalEntry
from tests.escrow.ledger.helpers import open_escrow, pay_in

# persona → (may read A's journal, may read A's balances)
MATRIX = {
    "anonymous": (False, False),
    "stranger": (False, False),
    "outsider": (False, False),
    "resident": (True, True),
    "company_staff": (True, True),
    "committee_member": (True, True),
    "community_official": (True, True),
    "street_admin": (True, True),
}


@pytest.fixture
def ledgers(world):
    open_escrow(world.a, opening_fen=1_000)
    pay_in(world.a, 500)
    open_escrow(world.b, opening_fen=2_000)
    return world


@pytest.mark.parametrize("persona", MATRIX)
def test_the_matrix(ledgers, persona):
    user = ledgers.personas()[persona]
    journal, balances = MATRIX[persona]
    assert ledger_visible_to(user, ledgers.a) is journal, persona
    assert balances_visible_to(user, ledgers.a) is balances, persona
    if journal:
        compound, standing = access_ledger(user, ledgers.a.slug)
        assert compound == ledgers.a and standing.roles
    else:
        with pytest.raises(Http404):
            access_ledger(user, ledgers.a.slug)
        with pytest.raises(NotFoundError):
            access_ledger_for_api(user, ledgers.a.slug)


def test_a_steward_reads_balances_but_not_the_journal(ledgers):
    assert balances_visible_to(ledgers.steward, ledgers.a)
    assert not ledger_visible_to(ledgers.steward, ledgers.a)
    assert not journal_entries_visible_to(ledgers.steward).exists()


def test_visible_entries_stay_in_the_users_compounds(ledgers):
    assert set(journal_entries_visible_to(ledgers.resident)) == set(
        JournalEntry.objects.filter(compound=ledgers.a)
    )
    assert set(journal_entries_visible_to(ledgers.outsider)) == set(
        JournalEntry.objects.filter(compound=ledgers.b)
    )
    assert set(compounds_with_ledger_visible_to(ledgers.street_admin)) == {ledgers.a, ledgers.b}
    assert not journal_entries_visible_to(None).exists()
    assert not journal_entries_visible_to(ledgers.stranger).exists()


def test_a_missing_slug_is_not_found_for_everyone(ledgers):
    with pytest.raises(Http404):
        access_ledger(ledgers.street_admin, "no-such-compound")
    assert public_ledger_compound("no-such-compound") is None
    assert public_ledger_compound(ledgers.a.slug) == ledgers.a
