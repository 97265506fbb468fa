"""Benchmark: a 100,000-line bank statement import and its re-import (PostgreSQL).

Targets (issue 3): import ≤ 30 s; re-import ≤ 10 s and 0 new entries.

``run(report)`` is picked up by ``python -m bench``; ``report(name, value)`` prints
one row. Standalone: ``DATABASE_URL=postgres://… python -m bench.bench_import``.

Each run builds its own compound (slug ``bench-import-<random>``) through the
services: 500 flats, an escrow account, a bank mapping. The CSV has 100,000 credit
lines over the last ten months, amounts written like ``1,234.50``, 90 % of memos
naming a flat in one of the ways residents write it and 10 % naming none (suspense).
The ledger is append-only, so nothing is deleted afterwards: run it on a scratch
database.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import datetime as dt
import functools
import io
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

    from escrow.fees.services.imports import decode_statement, parse_statement, statement_import
    from escrow.ledger.verification import ledger_verify
    from escrow.models import JournalEntry, JournalLine, Payment

    started = time.perf_counter()
    compound, units, mapping, account = _setup()
    data = _statement(compound, units, account.opened_on)
    report(
        "statement import: setup",
        f"{len(units)} flats, {LINES:,} lines, {len(data) / 1e6:.1f} MB, "
        f"{time.perf_counter() - started:.1f} s",
    )

    # Where the time goes, measured apart: reading, checking and matching the file.
    from escrow.fees.selectors import UnitMatcher

    t0 = time.perf_counter()
    text, _encoding = decode_statement(data, mapping.encoding)
    parsed = parse_statement(
        text, mapping=mapping, account=account, matcher=UnitMatcher.for_compound(compound)
    )
    parse_s = time.perf_counter() - t0
    assert not parsed.problems, parsed.problems[:3]

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
        f"read+check+match {parse_s:.1f} s (measured apart); posting service {posting:.1f} s "
        f"(of which entry/line INSERTs {inserts:.1f} s, planning and hashing {posting - inserts:.1f} s); "
        f"payments COPY {phases['payments insert']:.1f} s; commit {phases['commit']:.1f} s "
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
    wrap(imports, "_payments_insert", lambda args: "payments insert")
    wrap(BaseDatabaseWrapper, "commit", lambda args: "commit")
    wrap(QuerySet, "bulk_create", lambda args: f"bulk_create {args[0].model.__name__}")
    try:
        yield spent
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)


def _setup():
    from communities import services
    from escrow.fees.services.imports import statement_mapping_save
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
    mapping = statement_mapping_save(
        compound=compound,
        actor=None,
        bank_name="中国银行",
        date_column="交易日期",
        amount_column="贷方金额",
        reference_column="流水号",
        memo_column="摘要",
        payer_column="对方户名",
    )
    return compound, units, mapping, account


def _statement(compound, units, opened_on) -> bytes:
    rng = random.Random(20261126)
    today = dt.date.today()
    first = max(opened_on, today - dt.timedelta(days=300))
    span = (today - first).days
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["交易日期", "贷方金额", "流水号", "摘要", "对方户名"])
    for n in range(LINES):
        day = first + dt.timedelta(days=rng.randint(0, span))
        fen = rng.randint(5_000, 300_000)
        unit = units[rng.randrange(len(units))]
        roll = rng.random()
        if roll < 0.10:
            memo = rng.choice(["转账", "物业费", "缴费", ""])
        elif roll < 0.55:
            memo = f"物业费 {unit.reference}"
        else:
            memo = f"{unit.building.name}{unit.entrance}单元{unit.number}室"
        writer.writerow([day.isoformat(), f"{fen // 100:,}.{fen % 100:02d}", f"BK{n:09d}", memo, "张三"])
    return out.getvalue().encode("gbk")


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()
    run(lambda name, value: print(f"{name:<48} {value}"))
