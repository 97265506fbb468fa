"""Tamper evidence: rows changed behind the service's back — with raw SQL, the
append-only trigger switched off by a superuser on PostgreSQL — are found by
``verify_ledger``, which names the compound and the first bad sequence number."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from escrow.ledger.hashing import entry_hash
from escrow.ledger.selectors import chain_head
from escrow.ledger.verification import ledger_verify
from escrow.models import Disclosure, DisclosureStatus, EscrowAccount, JournalEntry, JournalLine
from tests.escrow.ledger.helpers import check_deferred_constraints, open_escrow, pay_in, pay_out

TRIGGERS = {
    "escrow_journalentry": "journalentry_append_only",
    "escrow_journalline": "journalline_append_only",
}


@pytest.fixture
def ledgers(world):
    open_escrow(world.a, opening_fen=50_000)  # 1
    pay_in(world.a, 1_200)  # 2
    pay_in(world.a, 3_400)  # 3
    pay_out(world.a, 2_000)  # 4
    pay_in(world.a, 500)  # 5
    open_escrow(world.b, opening_fen=7_000)
    pay_in(world.b, 800)
    return world


@contextmanager
def append_only_off():
    """What an attacker with superuser rights would do first. SQLite has no trigger."""
    postgres = connection.vendor == "postgresql"
    check_deferred_constraints()  # PostgreSQL will not ALTER a table with checks still pending
    with connection.cursor() as cursor:
        if postgres:
            for table, trigger in TRIGGERS.items():
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        try:
            yield cursor
        finally:
            if postgres:
                check_deferred_constraints()
                for table, trigger in TRIGGERS.items():
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def entry_id(compound, sequence: int) -> int:
    return JournalEntry.objects.get(compound=compound, sequence=sequence).pk


def verify(*args) -> str:
    out = io.StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()


def verify_fails(*args) -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("verify_ledger", *args, stdout=out)
    return str(exc.value), out.getvalue()


def test_an_untouched_ledger_verifies(ledgers):
    output = verify()
    assert f"OK   {ledgers.a.slug}: 5 entries" in output
    assert f"OK   {ledgers.b.slug}: 2 entries" in output


def test_a_changed_line_amount_is_named(ledgers):
    a = ledgers.a
    line = JournalLine.objects.filter(entry_id=entry_id(a, 3)).order_by("id").first()
    with append_only_off() as cursor:
        cursor.execute("UPDATE escrow_journalline SET amount = amount + 100 WHERE id = %s", [line.pk])
    message, output = verify_fails()
    assert message == f"Ledger verification failed: {a.slug} (#3)"
    assert f"FAIL {a.slug}: first bad sequence #3" in output
    assert "entry #3: its content does not match its hash" in output
    assert f"OK   {ledgers.b.slug}" in output  # the other compound is unaffected


def test_a_changed_memo_is_named(ledgers):
    a = ledgers.a
    with append_only_off() as cursor:
        cursor.execute("UPDATE escrow_journalentry SET memo = '物业费(已改)' WHERE id = %s", [entry_id(a, 2)])
    message, _output = verify_fails("--compound", a.slug)
    assert message == f"Ledger verification failed: {a.slug} (#2)"


def test_a_rehashed_entry_breaks_the_next_link(ledgers):
    """Rewriting an entry *and* its hash does not help: the next entry still names the old hash."""
    a = ledgers.a
    entry = JournalEntry.objects.get(compound=a, sequence=2)
    lines = [(line.account.code, line.side, line.amount) for line in entry.lines.select_related("account")]
    forged = entry_hash(
        compound_id=a.pk,
        sequence=2,
        kind=entry.kind,
        memo="改过的备注",
        effective_date=entry.effective_date,
        reverses_sequence=None,
        lines=lines,
        prev_hash=entry.prev_hash,
    )
    with append_only_off() as cursor:
        cursor.execute(
            "UPDATE escrow_journalentry SET memo = %s, hash = %s WHERE id = %s",
            ["改过的备注", forged, entry.pk],
        )
    message, output = verify_fails()
    assert message == f"Ledger verification failed: {a.slug} (#3)"
    assert "entry #3 does not link to the previous entry's hash" in output


def _rewrite_chain_from(compound, sequence: int) -> str:
    """The table owner's full rewrite: entry ``sequence``'s memo changed, every later hash
    and link recomputed, the cached head moved. Returns the new head."""
    entries = list(
        JournalEntry.objects.filter(compound=compound, sequence__gte=sequence).order_by("sequence")
    )
    with append_only_off() as cursor:
        prev = JournalEntry.objects.get(compound=compound, sequence=sequence - 1).hash
        for entry in entries:
            memo = entry.memo + "*" if entry.sequence == sequence else entry.memo
            lines = [
                (line.account.code, line.side, line.amount) for line in entry.lines.select_related("account")
            ]
            digest = entry_hash(
                compound_id=compound.pk,
                sequence=entry.sequence,
                kind=entry.kind,
                memo=memo,
                effective_date=entry.effective_date,
                reverses_sequence=None,
                lines=lines,
                prev_hash=prev,
            )
            cursor.execute(
                "UPDATE escrow_journalentry SET memo = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [memo, prev, digest, entry.pk],
            )
            prev = digest
        cursor.execute(
            "UPDATE escrow_escrowaccount SET head_hash = %s WHERE compound_id = %s", [prev, compound.pk]
        )
    return prev


def _published(compound, *, entry_count: int, head_hash: str, status=DisclosureStatus.PUBLISHED):
    return Disclosure.objects.create(
        compound=compound,
        year=2026,
        quarter=1,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        status=status,
        entry_count=entry_count,
        head_hash=head_hash,
    )


def test_a_rewritten_chain_verifies_on_its_own_without_a_published_head(ledgers):
    """An attacker who rewrites every later hash and the head gets a ledger that verifies
    on its own — which is why disclosures publish the chain head."""
    a = ledgers.a
    published = chain_head(a).head_hash
    _rewrite_chain_from(a, 2)
    assert ledger_verify(a).ok
    assert chain_head(a).head_hash != published


def test_a_full_rewrite_by_the_table_owner_is_caught_by_a_published_disclosure_s_head(ledgers):
    a = ledgers.a
    after_4 = JournalEntry.objects.get(compound=a, sequence=4).hash
    _published(a, entry_count=4, head_hash=after_4)
    assert ledger_verify(a).ok
    _rewrite_chain_from(a, 3)
    message, output = verify_fails("--compound", a.slug)
    assert message == f"Ledger verification failed: {a.slug} (#4)"
    assert "published disclosure 2026Q1 v1: the chain's head after 4 entries was" in output
    assert "(history rewritten after publication)" in output


def test_a_rewrite_after_the_published_head_is_not_blamed_on_it(ledgers):
    a = ledgers.a
    _published(a, entry_count=4, head_hash=JournalEntry.objects.get(compound=a, sequence=4).hash)
    _rewrite_chain_from(a, 5)  # entry 5 came after the disclosure: nothing published covers it
    assert ledger_verify(a).ok


def test_an_unpublished_disclosure_s_head_binds_nothing(ledgers):
    a = ledgers.a
    _published(a, entry_count=4, head_hash="0" * 64, status=DisclosureStatus.READY)
    assert ledger_verify(a).ok


def test_a_truncated_chain_misses_the_published_head(ledgers):
    a = ledgers.a
    _published(a, entry_count=5, head_hash=JournalEntry.objects.get(compound=a, sequence=5).hash)
    with append_only_off() as cursor:
        cursor.execute("DELETE FROM escrow_journalline WHERE entry_id = %s", [entry_id(a, 5)])
        cursor.execute("DELETE FROM escrow_journalentry WHERE id = %s", [entry_id(a, 5)])
    result = ledger_verify(a)
    assert any("the journal no longer has entry #5" in p for p in result.problems)


def test_a_deleted_entry_is_named(ledgers):
    a = ledgers.a
    with append_only_off() as cursor:
        cursor.execute("DELETE FROM escrow_journalline WHERE entry_id = %s", [entry_id(a, 4)])
        cursor.execute("DELETE FROM escrow_journalentry WHERE id = %s", [entry_id(a, 4)])
    message, output = verify_fails()
    assert message == f"Ledger verification failed: {a.slug} (#4)"
    assert "entry #4 is missing" in output


def test_cached_balance_drift_is_detected(ledgers):
    a = ledgers.a
    with connection.cursor() as cursor:  # the cache is not append-only: no trigger to switch off
        cursor.execute(
            "UPDATE escrow_ledgeraccount SET balance = balance + 1 WHERE compound_id = %s AND code = '1001'",
            [a.pk],
        )
    message, output = verify_fails()
    assert message == f"Ledger verification failed: {a.slug}"
    assert f"FAIL {a.slug}: caches" in output
    assert "account 1001: cached balance" in output


def test_chain_head_drift_is_detected(ledgers):
    a = ledgers.a
    EscrowAccount.objects.filter(compound=a).update(entry_count=4)
    message, output = verify_fails()
    assert message == f"Ledger verification failed: {a.slug}"
    assert "chain head: escrow account says 4 entries" in output


def test_it_verifies_one_compound_or_refuses_an_unknown_slug(ledgers):
    output = verify("--compound", ledgers.b.slug)
    assert ledgers.a.slug not in output and f"OK   {ledgers.b.slug}" in output
    message, _output = verify_fails("--compound", "no-such-compound")
    assert message == "No compound with slug 'no-such-compound'."
