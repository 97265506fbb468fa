"""The ledger's rules hold in PostgreSQL itself (migration 0002), whatever code runs.

Raw SQL is sent as an application role that is *not* a superuser nor the tables'
owner (``gongguan_app_test``, created here), with every privilege on the escrow
tables: it may insert, but not unbalance an entry, rewrite or delete a posted row,
or tie a line to another compound's entry or account. Deferred rules are checked
the way a commit checks them, with ``SET CONSTRAINTS ALL IMMEDIATE``.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction

from escrow.models import Category, JournalEntry, JournalLine, LedgerAccount
from tests.escrow.ledger.helpers import check_deferred_constraints, open_escrow, pay_in

APP_ROLE = "gongguan_app_test"
ESCROW_TABLES = ["escrow_escrowaccount", "escrow_ledgeraccount", "escrow_journalentry", "escrow_journalline"]


@pytest.fixture
def ledgers(postgres_only, world):
    open_escrow(world.a, opening_fen=50_000)
    open_escrow(world.b, opening_fen=20_000)
    pay_in(world.a, 1_000)
    return world


@contextmanager
def as_app_role():
    """Inside the test's transaction: create the role (rolled back with the test),
    grant it everything on the escrow tables and sequences, and become it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                    CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
                  END IF;
                END $$"""
        )
        for table in ESCROW_TABLES:
            cursor.execute(f"GRANT ALL ON {table} TO {APP_ROLE}")
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            if sequence:
                cursor.execute(f"GRANT ALL ON SEQUENCE {sequence} TO {APP_ROLE}")
        cursor.execute(f"SET LOCAL ROLE {APP_ROLE}")
        cursor.execute("SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
        assert cursor.fetchone() == (APP_ROLE, False)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def refused(match: str, *statements) -> None:
    """Run the statements as one unit and check the database refuses them — at the
    latest when the deferred rules run — with a message matching ``match``."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            statement(cursor) if callable(statement) else cursor.execute(statement)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def account(compound, category=Category.ESCROW_CASH) -> LedgerAccount:
    return LedgerAccount.objects.get(compound=compound, category=category)


def insert_entry(cursor, compound, *, sequence: int = 1000, reverses_id=None) -> int:
    cursor.execute(
        """INSERT INTO escrow_journalentry
             (compound_id, sequence, kind, memo, effective_date, created_at, reverses_id,
              fingerprint, prev_hash, hash)
           VALUES (%s, %s, 'other_income', 'raw sql', '2025-06-01', now(), %s, 'f', 'p', 'h')
           RETURNING id""",
        [compound.pk, sequence, reverses_id],
    )
    return cursor.fetchone()[0]


def insert_line(cursor, *, compound, entry_id, account_id, side, amount, version) -> None:
    cursor.execute(
        """INSERT INTO escrow_journalline
             (compound_id, entry_id, account_id, side, amount, account_version, balance_after)
           VALUES (%s, %s, %s, %s, %s, %s, 0)""",
        [compound.pk, entry_id, account_id, side, amount, version],
    )


def raw_entry(compound, lines, *, line_compound=None, reverses_id=None):
    """A statement that inserts an entry of ``compound`` with ``lines`` = [(account, side, amount)]."""

    def run(cursor):
        entry_id = insert_entry(cursor, compound, reverses_id=reverses_id)
        for n, (acct, side, amount) in enumerate(lines):
            insert_line(
                cursor,
                compound=line_compound or compound,
                entry_id=entry_id,
                account_id=acct.pk,
                side=side,
                amount=amount,
                version=10_000 + n,
            )

    return run


def test_the_app_role_may_insert_a_balanced_entry(ledgers):
    """The control: the refusals below are the rules, not missing privileges."""
    a = ledgers.a
    with as_app_role(), transaction.atomic(), connection.cursor() as cursor:
        raw_entry(a, [(account(a), "D", 100), (account(a, Category.PARKING_INCOME), "C", 100)])(cursor)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_an_unbalanced_entry_is_refused_at_commit(ledgers):
    a = ledgers.a
    cash, parking = account(a), account(a, Category.PARKING_INCOME)
    with as_app_role():
        refused("unbalanced", raw_entry(a, [(cash, "D", 100), (parking, "C", 99)]))
        refused("unbalanced", raw_entry(a, [(cash, "D", 100)]))
        refused("unbalanced", raw_entry(a, []))
        refused("unbalanced", raw_entry(a, [(cash, "D", 100), (parking, "D", 100)]))


def test_a_line_that_is_not_positive_is_refused(ledgers):
    a = ledgers.a
    cash, parking = account(a), account(a, Category.PARKING_INCOME)
    with as_app_role():
        refused("line_amount_positive", raw_entry(a, [(cash, "D", 0), (parking, "C", 0)]))
        refused("line_amount_positive", raw_entry(a, [(cash, "D", -5), (parking, "C", -5)]))
        refused("line_side_valid", raw_entry(a, [(cash, "X", 5), (parking, "C", 5)]))


def test_a_posted_line_or_entry_cannot_be_updated_or_deleted(ledgers):
    entry = JournalEntry.objects.filter(compound=ledgers.a).latest("sequence")
    line = entry.lines.first()
    with as_app_role():
        refused(
            "append-only: UPDATE on escrow_journalline",
            f"UPDATE escrow_journalline SET amount = 1 WHERE id = {line.pk}",
        )
        refused(
            "append-only: DELETE on escrow_journalline",
            f"DELETE FROM escrow_journalline WHERE id = {line.pk}",
        )
        refused(
            "append-only: UPDATE on escrow_journalentry",
            f"UPDATE escrow_journalentry SET memo = 'x' WHERE id = {entry.pk}",
        )
        refused(
            "append-only: DELETE on escrow_journalentry",
            f"DELETE FROM escrow_journalentry WHERE id = {entry.pk}",
        )
        # (TRUNCATE needs the inserts' pending deferred checks run first.)
        refused("append-only: TRUNCATE", "SET CONSTRAINTS ALL IMMEDIATE", "TRUNCATE escrow_journalline")


def test_the_app_role_cannot_switch_the_rules_off(ledgers):
    with as_app_role():
        refused("must be owner", "ALTER TABLE escrow_journalline DISABLE TRIGGER journalline_append_only")
        refused("must be owner", "DROP TRIGGER journalentry_balanced ON escrow_journalentry")


def test_the_orm_is_refused_too_even_for_the_tables_owner(ledgers):
    line = JournalLine.objects.filter(compound=ledgers.a).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        JournalLine.objects.filter(pk=line.pk).update(amount=line.amount + 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        JournalLine.objects.filter(compound=ledgers.a).delete()


def test_a_line_on_another_compounds_account_is_refused(ledgers):
    a, b = ledgers.a, ledgers.b
    with as_app_role():
        refused(
            "line_account_same_compound",
            raw_entry(a, [(account(a), "D", 100), (account(b, Category.PARKING_INCOME), "C", 100)]),
        )


def test_a_line_of_another_compounds_entry_is_refused(ledgers):
    a, b = ledgers.a, ledgers.b
    with as_app_role():
        # The lines say compound B and use B's accounts, but hang on an entry of A.
        refused(
            "line_entry_same_compound",
            raw_entry(
                a, [(account(b), "D", 100), (account(b, Category.PARKING_INCOME), "C", 100)], line_compound=b
            ),
        )


def test_a_reversal_of_another_compounds_entry_is_refused(ledgers):
    a, b = ledgers.a, ledgers.b
    of_b = JournalEntry.objects.get(compound=b)
    with as_app_role():
        refused(
            "entry_reverses_same_compound",
            raw_entry(
                a,
                [(account(a), "D", 100), (account(a, Category.PARKING_INCOME), "C", 100)],
                reverses_id=of_b.pk,
            ),
        )


def test_the_services_own_postings_pass_every_rule(ledgers):
    pay_in(ledgers.b, 500)
    check_deferred_constraints()
