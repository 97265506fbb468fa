"""Benchmark: a 100,000-line bank statement import and its re-import (PostgreSQL).

Targets (issue 3): import ≤ 30 s; re-import ≤ 10 s and 0 new entries.

``run(report)`` is picked up by ``python -m bench``; ``report(name, value)`` prints
one row. Standalone: ``DATABASE_URL=postgres://… python -m bench.bench_import``.

Each run builds its own compound (slug ``bench-import-<random>``) through the
services: 500 flats and an escrow account. The statement is ICBC's real export
(banking.samples.icbc: UTF-8 CSV, padded cells, running balance, footer totals) with
100,000 lines over the last ten months: owners' payments (90 % of memos naming a flat
in one of the ways residents write it, 10 % naming none: suspense) and bank charges.
Beside it, a raw COPY of the same rows into a scratch table: the floor for writing them.
The ledger is append-only, so nothing is deleted afterwards: run it on a scratch
database.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import functools
import os
import random
import secrets
import time

LINES = int(os.environ.get("BENCH_IMPORT_LINES", "100000"))
IMPORT_TARGET_S = 30.0
REIMPORT_TARGET_S = 10.0


def run(report) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        report("statement import", "skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)")
        return

    from escrow.fees.services.imports import plan_statement, statement_import
    from escrow.fees.services.statements import read_escrow_statement
    from escrow.ledger.verification import ledger_verify
    from escrow.models import JournalEntry, JournalLine, Payment

    started = time.perf_counter()
    compound, units, account = _setup()
    mapping = None
    data = _statement(compound, units, account.opened_on)
    report(
        "statement import: setup",
        f"{len(units)} flats, {LINES:,} lines, {len(data) / 1e6:.1f} MB, "
        f"{time.perf_counter() - started:.1f} s",
    )

    # Where the time goes, measured apart: reading and checking the file, then planning.
    t0 = time.perf_counter()
    parsed = read_escrow_statement(account=account, data=data)
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan_statement(compound, account, parsed)
    plan_s = time.perf_counter() - t0
    copy_s = _raw_copy(parsed.lines)
    report(
        "statement import: raw COPY of the same rows",
        f"{copy_s:.2f} s (the floor: {LINES:,} rows into a scratch table, nothing checked)",
    )

    entries_before = JournalEntry.objects.filter(compound=compound).count()
    with _phases() as phases:
        t0 = time.perf_counter()
        record = statement_import(
            compound=compound, mapping=mapping, file_name="bench.csv", data=data, actor=None
        )
        import_s = time.perf_counter() - t0
    report(
        f"statement import: {LINES:,} lines",
        f"{import_s:.2f} s ({LINES / import_s:,.0f} lines/s; target ≤ {IMPORT_TARGET_S:.0f} s"
        f"{'' if import_s <= IMPORT_TARGET_S else ' — MISSED'}; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs)",
    )
    posting = phases["ledger_post_batch"]
    inserts = phases["bulk_create JournalEntry"] + phases["bulk_create JournalLine"]
    report(
        "statement import: where the time goes",
        f"read+check {read_s:.1f} s, plan+match {plan_s:.1f} s (measured apart); posting service {posting:.1f} s "
        f"(of which entry/line INSERTs {inserts:.1f} s, planning and hashing {posting - inserts:.1f} s); "
        f"payments and bank lines COPY {phases['copy insert']:.1f} s; commit {phases['commit']:.1f} s "
        f"(deferred balance triggers and foreign-key checks)",
    )
    report(
        "statement import: result",
        f"{record.posted:,} posted ({record.unidentified:,} to suspense), {record.skipped} skipped, "
        f"{JournalEntry.objects.filter(compound=compound).count() - entries_before:,} entries, "
        f"{JournalLine.objects.filter(compound=compound).count():,} lines",
    )

    entries_before = JournalEntry.objects.filter(compound=compound).count()
    payments_before = Payment.objects.filter(compound=compound).count()
    t0 = time.perf_counter()
    again = statement_import(compound=compound, mapping=mapping, file_name="bench.csv", data=data, actor=None)
    reimport_s = time.perf_counter() - t0
    new_entries = JournalEntry.objects.filter(compound=compound).count() - entries_before
    new_payments = Payment.objects.filter(compound=compound).count() - payments_before
    report(
        "statement re-import: same file",
        f"{reimport_s:.2f} s (target ≤ {REIMPORT_TARGET_S:.0f} s{'' if reimport_s <= REIMPORT_TARGET_S else ' — MISSED'}), "
        f"{new_entries} new entries, {new_payments} new payments, {again.skipped:,} skipped",
    )
    report("statement import: ratio re-import / import", f"{reimport_s / import_s:.2f}")

    t0 = time.perf_counter()
    verified = ledger_verify(compound)
    report(
        "statement import: ledger_verify after",
        f"{'ok' if verified.ok else 'FAILED ' + '; '.join(verified.problems[:2])}, "
        f"{verified.entries:,} entries in {time.perf_counter() - t0:.2f} s",
    )


@contextlib.contextmanager
def _phases():
    """Time the import's phases by wrapping, for this measurement only, the functions
    that do them: the posting service, its bulk INSERTs, the payments COPY, COMMIT."""
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.query import QuerySet

    import escrow.fees.services.imports as imports

    spent: collections.Counter = collections.Counter()
    patched = []

    def wrap(owner, name, label_of):
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                label = label_of(args)
                if label:
                    spent[label] += time.perf_counter() - started

        setattr(owner, name, timed)
        patched.append((owner, name, original))

    wrap(imports, "ledger_post_batch", lambda args: "ledger_post_batch")
    wrap(imports, "_copy_insert", lambda args: "copy insert")
    wrap(BaseDatabaseWrapper, "commit", lambda args: "commit")
    wrap(QuerySet, "bulk_create", lambda args: f"bulk_create {args[0].model.__name__}")
    try:
        yield spent
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)


def _setup():
    from communities import services
    from escrow.ledger.services import escrow_account_open

    tag = secrets.token_hex(3)
    today = dt.date.today()
    office = services.street_office_create(name=f"基准街道{tag}", actor=None)
    community = services.community_create(street_office=office, name="基准社区", actor=None)
    compound = services.compound_create(
        community=community, name=f"基准小区{tag}", slug=f"bench-import-{tag}", actor=None
    )
    company = services.property_company_create(name=f"基准物业{tag}", actor=None)
    services.contract_start(
        compound=compound,
        company=company,
        start_date=today - dt.timedelta(days=400),
        fee_rate_fen=120,
        actor=None,
    )
    units = []
    for b in range(1, 6):
        building = services.building_create(compound=compound, name=f"{b}栋", sort_key=b, actor=None)
        for entrance in ("1", "2"):
            for floor in range(1, 26):
                for position in (1, 2):
                    units.append(
                        services.unit_create(
                            building=building,
                            entrance=entrance,
                            number=f"{floor}{position:02d}",
                            floor_area="96.50",
                            actor=None,
                        )
                    )
    account = escrow_account_open(
        compound=compound,
        bank_name="中国银行",
        account_name="基准共管账户",
        account_number="6217000011112222333",
        opened_on=today - dt.timedelta(days=365),
        actor=None,
    )
    return compound, units, account


def _statement(compound, units, opened_on) -> bytes:
    from banking.samples import EXPENSE, INCOME, Tx, icbc

    rng = random.Random(20261126)
    today = dt.date.today()
    first = max(opened_on, today - dt.timedelta(days=300))
    span = (today - first).days
    days = sorted(first + dt.timedelta(days=rng.randint(0, span)) for _ in range(LINES))
    txs = []
    for n, day in enumerate(days):
        if n and rng.random() < 0.05:
            txs.append(
                Tx(day, EXPENSE, rng.choice([200, 500, 1000]), dt.time(23, 0), "", "", "手续费", "汇划费")
            )
            continue
        fen = rng.randint(5_000, 300_000)
        unit = units[rng.randrange(len(units))]
        roll = rng.random()
        if roll < 0.10:
            memo = rng.choice(["转账", "物业费", "缴费", ""])
        elif roll < 0.55:
            memo = f"物业费 {unit.reference}"
        else:
            memo = f"{unit.building.name}{unit.entrance}单元{unit.number}室"
        when = dt.time(rng.randint(8, 20), rng.randint(0, 59))
        txs.append(Tx(day, INCOME, fen, when, "张三", "6222****1111", "他行汇入", memo))
    txs.sort(key=lambda tx: (tx.date, tx.time))
    data, _expected = icbc(txs, 0, account="6217****2333")
    return data


def _raw_copy(lines) -> float:
    """COPY the statement's rows, as they are, into a scratch table: the floor."""
    from django.db import connection, transaction

    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_raw_lines (identity text, line int, date date, direction text, "
            "amount_fen bigint, balance_fen bigint, counterparty text, memo text) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            "COPY bench_raw_lines (identity, line, date, direction, amount_fen, balance_fen, counterparty, memo) "
            "FROM STDIN"
        ) as copy:
            for line in lines:
                copy.write_row(
                    (
                        line.identity,
                        line.line,
                        line.date,
                        line.direction,
                        line.amount_fen,
                        line.balance_fen,
                        line.counterparty,
                        line.memo,
                    )
                )
    return time.perf_counter() - t0


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()
    run(lambda name, value: print(f"{name:<48} {value}"))
