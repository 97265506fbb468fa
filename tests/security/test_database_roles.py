"""Two database roles (issue 11, item 5), on PostgreSQL: the application's role, with
the grants of escrow/migrations/0008_app_role_grants.py, owns nothing and cannot rewrite
history — no UPDATE, DELETE or TRUNCATE of journal rows, no ALTER TABLE … DISABLE
TRIGGER — yet it runs the application (a posting goes through).

The role is created inside the test's transaction and rolled back with it."""

from __future__ import annotations

import importlib
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction

from escrow.ledger.services import escrow_account_open
from escrow.models import JournalEntry

grants = importlib.import_module("escrow.migrations.0008_app_role_grants")

PRIVILEGE = "42501"  # insufficient_privilege


@pytest.fixture
def app_role(postgres_only, world):
    role = f"{connection.settings_dict['NAME']}_app"[:60]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOINHERIT")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    grants.grant(None, editor, role=role)
    return role


@contextmanager
def as_role(role):
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
        try:
            yield cursor
        finally:
            cursor.execute("RESET ROLE")


def _refused(cursor, sql) -> str:
    """Run ``sql`` in a savepoint; the SQLSTATE it fails with ('' if it did not fail)."""
    try:
        with transaction.atomic():
            cursor.execute(sql)
    except DatabaseError as exc:
        return getattr(exc.__cause__, "sqlstate", "") or "?"
    return ""


def _open(world):
    return escrow_account_open(
        compound=world.a,
        bank_name="湖北银行咸安支行",
        account_name="尚城国际小区共管账户",
        account_number="6222021234567890123",
        opened_on=world.a.created_at.date(),
        opening_balance_fen=100_00,
        actor=None,
    )


def test_the_application_role_runs_the_application(app_role, world):
    with as_role(app_role):
        account = _open(world)  # inserts journal rows, updates balances and the chain head
    assert JournalEntry.objects.filter(compound=world.a).count() == 1
    assert account.head_hash


@pytest.mark.parametrize("table", ["escrow_journalentry", "escrow_journalline"])
def test_the_application_role_cannot_rewrite_the_journal(app_role, world, table):
    _open(world)
    with as_role(app_role) as cursor:
        assert _refused(cursor, f"SELECT count(*) FROM {table}") == ""
        assert _refused(cursor, f"UPDATE {table} SET compound_id = compound_id") == PRIVILEGE
        assert _refused(cursor, f"DELETE FROM {table}") == PRIVILEGE
        assert _refused(cursor, f"TRUNCATE {table} CASCADE") == PRIVILEGE
        assert _refused(cursor, f"ALTER TABLE {table} DISABLE TRIGGER ALL") == PRIVILEGE
        assert _refused(cursor, f"ALTER TABLE {table} DISABLE TRIGGER USER") == PRIVILEGE
        assert _refused(cursor, f"DROP TABLE {table} CASCADE") == PRIVILEGE
    assert JournalEntry.objects.filter(compound=world.a).count() == 1


def test_the_audit_trail_is_append_only_for_the_application(app_role, world):
    with as_role(app_role) as cursor:
        assert _refused(cursor, "UPDATE communities_auditevent SET action = action") == PRIVILEGE
        assert _refused(cursor, "DELETE FROM communities_auditevent") == PRIVILEGE


def test_the_application_role_owns_nothing_and_cannot_create_triggers(app_role, world):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = %s",
            [app_role],
        )
        assert cursor.fetchone()[0] == 0
    with as_role(app_role) as cursor:
        assert (
            _refused(
                cursor,
                "CREATE TRIGGER sneaky BEFORE INSERT ON escrow_journalentry "
                "FOR EACH ROW EXECUTE FUNCTION escrow_refuse_change()",
            )
            == PRIVILEGE
        )


def test_the_migration_refuses_a_superuser_or_a_missing_role(postgres_only, db):
    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    with pytest.raises(RuntimeError, match="no such database role"):
        grants.grant(None, editor, role="no_such_role_gongguan")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        me = cursor.fetchone()[0]
    with pytest.raises(RuntimeError, match="superuser or the role running migrations"):
        grants.grant(None, editor, role=me)


def test_without_a_role_setting_the_migration_does_nothing(postgres_only, db, settings):
    settings.APP_DATABASE_ROLE = ""

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    assert grants.grant(None, editor) is None


def test_check_deploy_warns_when_the_application_connects_as_the_owner(settings):
    from accounts.checks import check_two_database_roles

    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "USER": "gongguan"}}
    settings.APP_DATABASE_ROLE = ""
    assert [w.id for w in check_two_database_roles(None)] == ["accounts.W003"]
    settings.APP_DATABASE_ROLE = "gongguan_app"
    assert [w.id for w in check_two_database_roles(None)] == ["accounts.W004"]
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "USER": "gongguan_app"}}
    assert check_two_database_roles(None) == []
