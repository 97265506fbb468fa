"""The ledger's guarantees, in the database itself (PostgreSQL only).

- lines and their entry/account belong to the same compound (composite foreign keys);
- posted entries and lines are never updated or deleted (BEFORE UPDATE/DELETE triggers,
  and BEFORE TRUNCATE for anyone but the tables' owner);
- every entry is balanced, with at least two lines, debits = credits > 0, checked at
  commit (deferred constraint triggers, so an entry and its lines can be inserted in
  any order within one transaction).

SQLite has none of this; there the posting service (escrow/services/ledger.py) is the
only guard, and the tests that prove the database rules are skipped with a reason.
"""

from django.db import migrations

FORWARD = r"""
ALTER TABLE escrow_journalline
  ADD CONSTRAINT line_entry_same_compound FOREIGN KEY (entry_id, compound_id)
    REFERENCES escrow_journalentry (id, compound_id) DEFERRABLE INITIALLY DEFERRED,
  ADD CONSTRAINT line_account_same_compound FOREIGN KEY (account_id, compound_id)
    REFERENCES escrow_ledgeraccount (id, compound_id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE escrow_journalentry
  ADD CONSTRAINT entry_reverses_same_compound FOREIGN KEY (reverses_id, compound_id)
    REFERENCES escrow_journalentry (id, compound_id) DEFERRABLE INITIALLY DEFERRED;

CREATE FUNCTION escrow_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'escrow ledger is append-only: % on % refused (post a reversing entry instead)',
    TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER journalentry_append_only BEFORE UPDATE OR DELETE ON escrow_journalentry
  FOR EACH ROW EXECUTE FUNCTION escrow_refuse_change();
CREATE TRIGGER journalline_append_only BEFORE UPDATE OR DELETE ON escrow_journalline
  FOR EACH ROW EXECUTE FUNCTION escrow_refuse_change();

-- TRUNCATE fires no row triggers, so it gets its own. The tables' owner may still
-- truncate (it could disable these triggers anyway, and Django's test flush runs as
-- the owner); an application role that does not own the tables may not.
CREATE FUNCTION escrow_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'escrow ledger is append-only: TRUNCATE on % refused', TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER journalentry_no_truncate BEFORE TRUNCATE ON escrow_journalentry
  FOR EACH STATEMENT EXECUTE FUNCTION escrow_refuse_truncate();
CREATE TRIGGER journalline_no_truncate BEFORE TRUNCATE ON escrow_journalline
  FOR EACH STATEMENT EXECUTE FUNCTION escrow_refuse_truncate();

CREATE FUNCTION escrow_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  eid bigint;
  debits bigint;
  credits bigint;
  n integer;
BEGIN
  IF TG_TABLE_NAME = 'escrow_journalentry' THEN
    eid := NEW.id;
  ELSE
    eid := NEW.entry_id;
  END IF;
  SELECT COALESCE(SUM(amount) FILTER (WHERE side = 'D'), 0),
         COALESCE(SUM(amount) FILTER (WHERE side = 'C'), 0),
         COUNT(*)
    INTO debits, credits, n
    FROM escrow_journalline WHERE entry_id = eid;
  IF n < 2 OR debits <> credits OR debits <= 0 THEN
    RAISE EXCEPTION 'journal entry % is unbalanced: debits %, credits %, % line(s)', eid, debits, credits, n
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER journalentry_balanced AFTER INSERT ON escrow_journalentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION escrow_check_entry_balanced();
CREATE CONSTRAINT TRIGGER journalline_balanced AFTER INSERT ON escrow_journalline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION escrow_check_entry_balanced();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS journalline_balanced ON escrow_journalline;
DROP TRIGGER IF EXISTS journalentry_balanced ON escrow_journalentry;
DROP FUNCTION IF EXISTS escrow_check_entry_balanced();
DROP TRIGGER IF EXISTS journalline_no_truncate ON escrow_journalline;
DROP TRIGGER IF EXISTS journalentry_no_truncate ON escrow_journalentry;
DROP FUNCTION IF EXISTS escrow_refuse_truncate();
DROP TRIGGER IF EXISTS journalline_append_only ON escrow_journalline;
DROP TRIGGER IF EXISTS journalentry_append_only ON escrow_journalentry;
DROP FUNCTION IF EXISTS escrow_refuse_change();
ALTER TABLE escrow_journalentry DROP CONSTRAINT IF EXISTS entry_reverses_same_compound;
ALTER TABLE escrow_journalline DROP CONSTRAINT IF EXISTS line_account_same_compound;
ALTER TABLE escrow_journalline DROP CONSTRAINT IF EXISTS line_entry_same_compound;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("escrow", "0001_ledger")]

    operations = [migrations.RunPython(forward, backward)]
