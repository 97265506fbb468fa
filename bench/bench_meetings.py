"""Owners' vote benchmark on PostgreSQL, in a database of its own (created and dropped here).

A 5,000-unit compound (areas 60–180 m², every 20th person owning two flats, every 30th
flat with two co-owners) and a vote with 4,000 ballots:

1. ``ballot_cast`` through the service (the vote row lock, audit event): p50 / p95 of 200 calls;
2. the running count (``vote_tally``) and the close (``vote_close``: count, canonical
   result of all 5,000 lines, SHA-256) — wall time and number of queries.

The roll and the bulk of the ballots are written with ``bulk_create`` (this measures the
count, not 5,000 unit_create calls).

    python -m bench.bench_meetings           # alone (DATABASE_URL: the server to use)
    run(report)                              # from the bench runner
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from bench import bench_db

BENCH_DB = bench_db("gg_bench_meetings")  # python -m bench --db NAME: NAME_meetings
UNITS = 5_000
BALLOTS = 4_000
SERVICE_CALLS = 200


def _setup_django() -> None:
    import django
    from django.apps import apps

    if apps.ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    django.setup()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _estate():
    from accounts.models import User
    from communities.models import Unit, UnitOwnership
    from communities.testing import make_world

    world = make_world()
    compound, building = world.a, world.building_a
    rng = random.Random(5000)
    units = Unit.objects.bulk_create(
        Unit(
            compound=compound,
            building=building,
            entrance=str(1 + n // 1000),
            number=f"B{n:05d}",
            floor_area=Decimal(rng.randint(6000, 18000)) / 100,
        )
        for n in range(UNITS)
    )
    users = User.objects.bulk_create(
        User(username=f"bench{n}", phone=f"+8613{n:09d}", display_name=f"业主{n}") for n in range(UNITS)
    )
    since = dt.date(2020, 1, 1)
    links, person = [], 0
    for index, unit in enumerate(units):
        if index % 20 != 1:
            person += 1
        links.append(UnitOwnership(compound=compound, unit=unit, user=users[person], start_date=since))
        if index % 30 == 7:
            links.append(
                UnitOwnership(compound=compound, unit=unit, user=users[-1 - index // 30], start_date=since)
            )
    UnitOwnership.objects.bulk_create(links)
    owner_of = {}
    for link in links:
        owner_of.setdefault(link.unit_id, link.user)
    return world, units, owner_of


def run(report: Callable[[str, str], None]) -> None:
    _setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        report("meetings", "skipped: needs PostgreSQL (DATABASE_URL=postgres://…)")
        return
    from unittest import mock

    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from meetings import votes
    from meetings.models import Ballot

    original_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = BENCH_DB
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        world, units, owner_of = _estate()
        vote = votes.vote_open(
            compound=world.a,
            actor=world.chair,
            title="基准测试表决",
            matter=4,
            closes_at=timezone.now() + dt.timedelta(hours=1),
        )
        rng = random.Random(4000)
        voting = rng.sample(units, BALLOTS)
        timings = []
        for unit in voting[:SERVICE_CALLS]:
            start = time.perf_counter()
            votes.ballot_cast(vote=vote, unit=unit, choice="agree", actor=owner_of[unit.pk])
            timings.append(time.perf_counter() - start)
        Ballot.objects.bulk_create(
            Ballot(
                compound=world.a,
                vote=vote,
                unit=unit,
                choice=rng.choice(["agree"] * 8 + ["disagree", "abstain"]),
                channel="online",
                cast_by=owner_of[unit.pk],
                owner=owner_of[unit.pk],
            )
            for unit in voting[SERVICE_CALLS:]
        )
        report(f"meetings ballot_cast ({SERVICE_CALLS} calls): p50", _ms(statistics.median(timings)))
        report(
            f"meetings ballot_cast ({SERVICE_CALLS} calls): p95",
            _ms(sorted(timings)[int(0.95 * (len(timings) - 1))]),
        )
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            tally = votes.vote_tally(vote)
            elapsed = time.perf_counter() - start
        report(f"meetings running count, {UNITS:,} units / {BALLOTS:,} ballots", _ms(elapsed))
        report("meetings running count: queries", str(len(queries)))
        later = timezone.now() + dt.timedelta(hours=2)
        with (
            mock.patch("django.utils.timezone.now", return_value=later),
            CaptureQueriesContext(connection) as q2,
        ):
            start = time.perf_counter()
            closed = votes.vote_close(vote=vote, actor=world.chair)
            elapsed = time.perf_counter() - start
        report("meetings close (count + canonical result + digest)", _ms(elapsed))
        report("meetings close: queries", str(len(q2)))
        report(
            "meetings result",
            f"{'passed' if closed.passed else 'not passed'}; {tally.participating_owners}/{tally.total_owners} owners",
        )
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


def main() -> None:
    def report(name: str, value: str) -> None:
        print(f"{name:<56} {value}", flush=True)

    run(report)


if __name__ == "__main__":
    main()
