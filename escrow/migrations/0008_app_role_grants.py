"""Two database roles (issue 11, item 5; PostgreSQL only, nothing on SQLite).

Migrations run as the tables' owner; the application connects as
``settings.APP_DATABASE_ROLE``, which owns nothing. Owning nothing, it cannot
``ALTER TABLE … DISABLE TRIGGER`` (the ledger's append-only and balance triggers) nor
drop them; here it is given plain reads and writes on every table — now and, through
default privileges, on every table the owner creates later — but never TRUNCATE, and on
the journal and the audit trail only SELECT and INSERT: posted history cannot be
rewritten through the application's connection, whatever the application does.

Without APP_DATABASE_ROLE (development, tests) this migration does nothing.
"""

from django.conf import settings
from django.db import migrations

# Append-only tables: the application may read and add rows, never change or remove them.
APPEND_ONLY_TABLES = ("escrow_journalentry", "escrow_journalline", "communities_auditevent")


def grant_statements(role: str) -> list[str]:
    from django.db import connection

    quoted = connection.ops.quote_name(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        # Tables and sequences the owner creates in later migrations.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {quoted}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {table} FROM {quoted}")
    return statements


def grant(apps, schema_editor, role: str | None = None):
    role = role if role is not None else getattr(settings, "APP_DATABASE_ROLE", "")
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or not role:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            raise RuntimeError(
                f"APP_DATABASE_ROLE={role!r}: no such database role. Create it first "
                f"(CREATE ROLE {role} LOGIN PASSWORD '…'), then migrate again."
            )
        if row[0] or row[1]:
            raise RuntimeError(
                f"APP_DATABASE_ROLE={role!r} is a superuser or the role running migrations: "
                "the application must connect as a role that owns nothing."
            )
        for statement in grant_statements(role):
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("escrow", "0007_payment_webhook_transaction_unique"),
        ("communities", "0002_role_grant"),
        ("accounts", "0003_stepup_state_in_database"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop, elidable=False)]
