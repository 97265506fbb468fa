"""Street dashboard benchmark on PostgreSQL, in a database of its own (created and dropped here).

1,000 synthetic compounds in one street office, each with a year of rollups (12 months)
and a few open flags; then the dashboard page (GET /street/<slug>/, whole request through
the test client: session, access check, rollups, sort, one page of rows, totals) against a
bare view in the same run (the same access check and ``base.html``, nothing else). Both
again after adding ledger lines (the page reads rollups only: its queries and time must
not move). Then the flag job for the 1,000 compounds and the rollup refresh.

    python -m bench.bench_street           # alone (DATABASE_URL: the server to use)
    run(report)                            # from the bench runner
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

BENCH_DB = os.environ.get("BENCH_STREET_DB") or bench_db(
    "gg_bench_street"
)  # python -m bench --db NAME: NAME_street
COMPOUNDS = 1_000
MONTHS = 12
REPEAT = 15
LEDGER_COMPOUNDS = 20
ENTRIES_EACH = 100


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


# A URLconf of the project plus the bare view (only used inside this benchmark).
def bare(request, slug):
    from django.shortcuts import render

    from street.permissions import access_dashboard

    dashboard, _role = access_dashboard(request.user, slug)
    return render(request, "base.html", {"dashboard": dashboard})


def _urlpatterns():
    from django.urls import include, path

    return [path("bench-bare/<slug:slug>/", bare, name="bench-bare"), path("", include("config.urls"))]


urlpatterns: list = []


def _estate():
    from django.utils import timezone

    from common.periods import add_months
    from communities.models import Building, Compound, Unit
    from communities.testing import make_world
    from street.models import CompoundMonth, Flag
    from street.services import dashboard_ensure

    world = make_world()
    dashboard = dashboard_ensure(street_office=world.office, slug="bench")
    rng = random.Random(1000)
    compounds = Compound.objects.bulk_create(
        Compound(community=world.community, name=f"基准小区{n:04d}", slug=f"bench-{n:04d}")
        for n in range(COMPOUNDS)
    )
    buildings = Building.objects.bulk_create(Building(compound=c, name="1栋") for c in compounds)
    Unit.objects.bulk_create(
        Unit(
            compound=c,
            building=b,
            entrance="1",
            number="101",
            floor_area=Decimal(rng.randint(6000, 18000)) / 100,
        )
        for c, b in zip(compounds, buildings, strict=True)
    )
    current = timezone.localdate().replace(day=1)
    now = timezone.now()
    rows = []
    for c in compounds:
        score = Decimal(rng.randint(55, 70))
        for k in range(MONTHS):
            billed = rng.randint(200_000_00, 400_000_00)
            if k % 3 == 2:
                score = min(Decimal(100), score + rng.randint(0, 10))
            rows.append(
                CompoundMonth(
                    compound=c,
                    month=add_months(current, k - MONTHS + 1),
                    billed_fen=billed,
                    received_fen=int(billed * rng.uniform(0.2, 1.05)),
                    income_fen=billed // 3,
                    necessary_costs_fen=billed // 4,
                    escrow_balance_fen=rng.randint(0, 2_000_000_00),
                    open_holds_fen=rng.randint(0, 50_000_00),
                    payouts_waiting=rng.randint(0, 5),
                    payouts_oldest_days=rng.randint(0, 20),
                    disclosure_last="2026Q3",
                    disclosure_late=rng.random() < 0.05,
                    score=score,
                    repairs_open=rng.randint(0, 12),
                    repairs_overdue=rng.randint(0, 3),
                    repairs_median_hours=Decimal(rng.randint(4, 90)),
                    meetings_held=rng.randint(0, 1),
                    topics_resolved=rng.randint(0, 2),
                    action_items_overdue=rng.randint(0, 2),
                    stewards=rng.randint(3, 12),
                    refreshed_at=now,
                )
            )
    CompoundMonth.objects.bulk_create(rows, batch_size=5000)
    Flag.objects.bulk_create(
        Flag(
            street_office=world.office,
            compound=c,
            kind="disclosure_late",
            key=f"bench:{c.pk}",
            raised_at=now,
            seen_at=now,
        )
        for c in compounds[::7]
    )
    return world, dashboard, compounds


def _time_get(client, url, repeat=REPEAT):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings), len(queries)


def _add_ledger(compounds):
    """A ledger for some compounds (opening + ``ENTRIES_EACH`` fee receipts each)."""
    from django.db import transaction

    from escrow.ledger.services import PostingRequest, credit, debit, escrow_account_open, ledger_post_batch
    from escrow.models import Category, EntryKind

    day = dt.date(2026, 1, 1)
    for c in compounds:
        escrow_account_open(
            compound=c,
            bank_name="基准银行",
            account_name=f"{c.name}共管账户",
            account_number="6222021234567890123",
            opened_on=day,
            actor=None,
        )
        with transaction.atomic():
            ledger_post_batch(
                compound=c,
                requests=[
                    PostingRequest(
                        kind=EntryKind.FEE_PAYMENT,
                        legs=[
                            debit(Category.ESCROW_CASH, 100_00 + n),
                            credit(Category.FEE_INCOME, 100_00 + n),
                        ],
                        memo="物业费",
                        effective_date=day + dt.timedelta(days=n % 300),
                    )
                    for n in range(ENTRIES_EACH)
                ],
                actor=None,
            )


def run(report: Callable[[str, str], None]) -> None:
    _setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        report("street", "skipped: needs PostgreSQL (DATABASE_URL=postgres://…)")
        return
    from django.test import Client, override_settings
    from django.utils import timezone

    from escrow.models import JournalLine
    from street import services

    global urlpatterns
    urlpatterns = _urlpatterns()
    original_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = BENCH_DB
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"]):
            start = time.perf_counter()
            world, dashboard, compounds = _estate()
            report(
                f"street estate: {COMPOUNDS:,} compounds × {MONTHS} months of rollups",
                _ms(time.perf_counter() - start),
            )
            client = Client()
            client.force_login(world.street_admin)
            page_url = f"/street/{dashboard.slug}/"
            bare_url = f"/bench-bare/{dashboard.slug}/"
            lines_before = JournalLine.objects.count()
            page, page_q = _time_get(client, page_url)
            base, base_q = _time_get(client, bare_url)
            report(
                f"street dashboard, {COMPOUNDS:,} compounds, {lines_before:,} ledger lines: p50", _ms(page)
            )
            report("street dashboard: queries", str(page_q))
            report("street bare view (access check + base.html): p50", _ms(base))
            report("street bare view: queries", str(base_q))
            report(
                "street dashboard ÷ bare view",
                f"{page / base:.2f}× (target ≤ 3×)" + ("" if page / base <= 3 else " MISSED"),
            )
            sorted_page, _q = _time_get(client, page_url + "?sort=-collection_rate&page=7")
            report("street dashboard sorted by collection rate, page 7: p50", _ms(sorted_page))

            start = time.perf_counter()
            _add_ledger(compounds[:LEDGER_COMPOUNDS])
            report(
                f"street: ledger added ({LEDGER_COMPOUNDS} compounds × {ENTRIES_EACH} entries)",
                _ms(time.perf_counter() - start),
            )
            lines_after = JournalLine.objects.count()
            page2, page2_q = _time_get(client, page_url)
            base2, _bq = _time_get(client, bare_url)
            report(f"street dashboard, {lines_after:,} ledger lines: p50", _ms(page2))
            report("street dashboard queries after the ledger grew", f"{page2_q} (before: {page_q})")
            report("street dashboard ÷ bare view (after)", f"{page2 / base2:.2f}×")

            now = timezone.now()
            start = time.perf_counter()
            raised = services.flags_refresh(world.office, now=now)
            report(f"street flag job, {COMPOUNDS + 2:,} compounds", _ms(time.perf_counter() - start))
            report("street flags raised", str(len(raised)))
            start = time.perf_counter()
            again = services.flags_refresh(world.office, now=now)
            report("street flag job again (same data)", _ms(time.perf_counter() - start))
            report(
                "street same data → same flags",
                "yes" if [f.key for f in again] == [f.key for f in raised] else "NO — MISSED",
            )
            start = time.perf_counter()
            rows = services.rollups_refresh(world.office, months=1, now=now)
            report(f"street rollup refresh, 1 month, {rows:,} compounds", _ms(time.perf_counter() - start))
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


def main() -> None:
    def report(name: str, value: str) -> None:
        print(f"{name:<64} {value}", flush=True)

    run(report)


if __name__ == "__main__":
    main()
