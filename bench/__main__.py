"""python -m bench [--db NAME] [--keep] [--only NAME] [--big-lines N]

Runs every ``bench/bench_*.py`` module's ``run(report)`` against PostgreSQL and
prints one table of the figures at the end.

DATABASE_URL must point at PostgreSQL (any database there; it is only used to reach
the server). The runner creates its own database (``--db``, default ``gongguan_bench``)
next to it, migrates it, runs the benchmarks and drops it again (``--keep`` leaves it
for a look with psql); modules that need a database of their own name it after that one
(``bench.bench_db``), so two runs with different ``--db`` never share a database. It
refuses to run on SQLite: the figures are about PostgreSQL.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from bench import BENCH_DB_ENV, DEFAULT_BENCH_DB

BENCH_DB = DEFAULT_BENCH_DB
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")


@dataclass
class Row:
    section: str
    name: str
    value: str
    note: str = ""
    verdict: str = ""  # "ok", "MISS" or "" when the row has no target


@dataclass
class Report:
    """What a benchmark module gets: record figures as you go; the runner prints them
    as they come and again as one table at the end."""

    options: argparse.Namespace
    rows: list[Row] = field(default_factory=list)
    current: str = ""

    def __call__(self, name: str, value, note: str = "") -> None:
        """The short form: ``report("import, 100k lines", "12.3 s")``. A value that says
        "MISSED" counts as a missed target."""
        if isinstance(value, int | float):
            self.add(name, value, note=note)
        else:
            self._record(Row(self.current, name, str(value), note, "MISS" if "MISSED" in str(value) else ""))

    def section(self, title: str) -> None:
        self.current = title
        print(f"\n== {title}", flush=True)

    def add(self, name: str, value, unit: str = "", note: str = "") -> None:
        text = (
            f"{value:,.2f}"
            if isinstance(value, float)
            else f"{value:,}"
            if isinstance(value, int)
            else str(value)
        )
        self._record(Row(self.current, name, f"{text} {unit}".strip(), note))

    def ratio(
        self, name: str, numerator: float, denominator: float, *, target_max: float | None = None, note=""
    ):
        value = numerator / denominator if denominator else float("inf")
        verdict = "" if target_max is None else ("ok" if value <= target_max else "MISS")
        target = f"target ≤ {target_max}" if target_max is not None else ""
        self._record(
            Row(self.current, name, f"{value:.2f}×", "; ".join(x for x in (target, note) if x), verdict)
        )
        return value

    def target(self, name: str, value: float, unit: str, *, at_most: float, note: str = "") -> None:
        verdict = "ok" if value <= at_most else "MISS"
        target = f"target ≤ {at_most} {unit}"
        self._record(
            Row(
                self.current, name, f"{value:,.3f} {unit}", "; ".join(x for x in (target, note) if x), verdict
            )
        )

    def progress(self, message: str) -> None:
        print(f"   … {message}", flush=True)

    @contextmanager
    def timer(self):
        """``with report.timer() as t: …`` then ``t.seconds``."""
        box = _Elapsed()
        start = time.perf_counter()
        try:
            yield box
        finally:
            box.seconds = time.perf_counter() - start

    def _record(self, row: Row) -> None:
        self.rows.append(row)
        verdict = f"  [{row.verdict}]" if row.verdict else ""
        if len(row.name) > 52 or len(row.value) > 18:
            print(f"   {row.name}\n       {row.value}{verdict}  {row.note}".rstrip(), flush=True)
        else:
            print(f"   {row.name:<52} {row.value:>18}{verdict}  {row.note}".rstrip(), flush=True)

    def table(self) -> str:
        """One aligned table; a value too long for its column goes on its own line."""
        name_width = min(max((len(r.name) for r in self.rows), default=0), 56)
        value_width = min(max((len(r.value) for r in self.rows), default=0), 22)
        lines, section = [], None
        for row in self.rows:
            if row.section != section:
                section = row.section
                lines += ["", section, "-" * len(section)]
            verdict = f"[{row.verdict}]" if row.verdict else ""
            if len(row.name) > name_width or len(row.value) > value_width:
                lines.append(f"  {row.name}")
                lines.append(f"      {row.value}  {verdict} {row.note}".rstrip())
            else:
                lines.append(
                    f"  {row.name:<{name_width}}  {row.value:>{value_width}}  {verdict:<6} {row.note}".rstrip()
                )
        return "\n".join(lines)


@dataclass
class _Elapsed:
    seconds: float = 0.0


def _admin_connect(parts):
    """A connection to the server for CREATE/DROP DATABASE: the maintenance database
    ``postgres`` if we may use it, else the database DATABASE_URL names."""
    import psycopg

    base = {
        "host": parts.hostname or None,
        "port": parts.port or None,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "autocommit": True,
    }
    base = {k: v for k, v in base.items() if v is not None}
    try:
        return psycopg.connect(dbname="postgres", **base)
    except psycopg.OperationalError:
        return psycopg.connect(dbname=unquote(parts.path.lstrip("/")), **base)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument(
        "--db",
        default=os.environ.get(BENCH_DB_ENV) or BENCH_DB,
        metavar="NAME",
        help=f"the database to create, use and drop (default {BENCH_DB}); modules that need "
        "one of their own use NAME_<module>",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--only", metavar="NAME", help="run only bench modules whose name contains NAME")
    parser.add_argument(
        "--big-lines", type=int, default=1_000_000, metavar="N", help="journal lines in the large compound"
    )
    options = parser.parse_args(argv)
    bench_db = options.db
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", bench_db):
        parser.error(f"--db {bench_db!r}: lower-case letters, digits and _ only (at most 41)")
    # The modules that create a database of their own read it (bench.bench_db).
    os.environ[BENCH_DB_ENV] = bench_db

    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in POSTGRES_SCHEMES:
        print(
            "python -m bench needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:5432/DBNAME "
            f"(it creates and drops its own database {bench_db!r} on that server). "
            f"Got {parts.scheme + '://…' if parts.scheme else 'nothing'}.",
            file=sys.stderr,
        )
        return 2

    with _admin_connect(parts) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {bench_db} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {bench_db}")
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{bench_db}"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    report = Report(options=options)
    started = time.perf_counter()
    try:
        print(f"database: PostgreSQL {connection.cursor().connection.info.server_version} · {bench_db}")
        call_command("migrate", verbosity=0)
        for path in sorted(Path(__file__).parent.glob("bench_*.py")):
            if options.only and options.only not in path.stem:
                continue
            module = importlib.import_module(f"bench.{path.stem}")
            report.section(path.stem)
            module.run(report)
    finally:
        connections.close_all()
        if not options.keep:
            with _admin_connect(parts) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {bench_db} WITH (FORCE)")
    print("\n" + "=" * 78)
    print(f"Gongguan benchmarks — {time.perf_counter() - started:.0f} s in all")
    print(report.table())
    missed = [r for r in report.rows if r.verdict == "MISS"]
    print(f"\n{len(missed)} target(s) missed." if missed else "\nEvery target met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
