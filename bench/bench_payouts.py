"""Payout benchmarks on PostgreSQL, in a database of their own (created and dropped here).

1. Sign and pay under contention: N workers at once, each walking its own requests of
   one compound through review (2 signatures), recheck (1) and payment — every call
   takes the compound's lock, so workers queue on it. p50/p95 of single calls for
   1, 4 and 16 workers.
2. The inbox page ("waiting for my signature") through Django's test Client, signed in,
   with 10,000 waiting requests in the compound, against a bare DB-backed Django view
   that selects the same 20 rows through the same middleware, in the same run.

    python -m bench.bench_payouts            # alone (DATABASE_URL: the server to use)
    run(report)                              # from the bench runner

The server is DATABASE_URL's (default postgres://postgres@127.0.0.1:5432/postgres);
the benchmark database is gg_bench_payouts on it.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable

from bench import bench_db

BENCH_DB = bench_db("gg_bench_payouts")  # python -m bench --db NAME: NAME_payouts
WORKERS = (1, 4, 16)
REQUESTS_PER_WORKER = 6
INBOX_ROWS = 10_000
PAGE_REQUESTS = 40


def _setup_django() -> None:
    import django
    from django.apps import apps

    if apps.ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    django.setup()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --------------------------------------------------------------------------- the world


def _world(media_root: str):
    """One compound with a contract, a company employee who files, the committee who
    review and recheck, and the community official — built through the services (the
    benchmarks never import the tests)."""
    import datetime as dt
    from types import SimpleNamespace

    from django.conf import settings

    from accounts.models import User
    from communities import services as community
    from escrow.ledger.services import escrow_account_open

    settings.MEDIA_ROOT = media_root
    office = community.street_office_create(name="浮山街道(支出基准)", actor=None)
    neighbourhood = community.community_create(street_office=office, name="书台社区", actor=None)
    compound = community.compound_create(
        community=neighbourhood, name="尚城国际", slug="bench-payouts", actor=None
    )
    company = community.property_company_create(name="华懋物业(基准)", actor=None)
    community.contract_start(
        compound=compound, company=company, start_date=dt.date(2025, 12, 25), fee_rate_fen=120, actor=None
    )
    people = {}
    for n, (key, name) in enumerate(
        [
            ("staff", "段家小"),
            ("committee", "李委员"),
            ("committee2", "张委员"),
            ("chair", "刘主任"),
            ("official", "周书记"),
        ]
    ):
        people[key] = User.objects.create_user(
            phone=f"+86139{90000000 + n:08d}", password="pw-Gongguan-2026", display_name=name
        )
    roles = [
        ("staff", {"role": "company_staff", "company": company, "compound": compound}),
        ("committee", {"role": "committee_member", "compound": compound}),
        ("committee2", {"role": "committee_member", "compound": compound}),
        ("chair", {"role": "committee_chair", "compound": compound}),
        ("official", {"role": "community_official", "community": neighbourhood}),
    ]
    for key, seat in roles:
        community.membership_create(user=people[key], actor=None, **seat)
    world = SimpleNamespace(a=compound, **people)
    escrow_account_open(
        compound=world.a,
        bank_name="湖北银行咸安支行",
        account_name="基准测试共管账户",
        account_number="6222021234567890123",
        opened_on=__import__("datetime").date(2026, 1, 1),
        opening_balance_fen=50_000_000_00,
        actor=None,
    )
    return world


def _file(world, n: int):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from common.pdf import minimal_pdf
    from escrow.payouts.services import payout_file

    return payout_file(
        compound=world.a,
        actor=world.staff,
        attachments=[("invoice", SimpleUploadedFile(f"invoice-{n}.pdf", minimal_pdf("Invoice 2026-001")))],
        submit=True,
        category="repair",
        expense_account="",
        payee_name="咸宁市利民水电维修部",
        payee_account="6217001234567890123",
        amount_fen=100_00 + n,
        purpose=f"基准测试 {n}",
    )


# --------------------------------------------------------------------------- 1. sign & pay


def _sign_and_pay(world, workers: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from accounts.stepup import SecondFactor
    from escrow.models import PayoutRequest
    from escrow.payouts import services

    batches = [[_file(world, w * 1000 + i).pk for i in range(REQUESTS_PER_WORKER)] for w in range(workers)]
    barrier = threading.Barrier(workers)
    timings: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def timed(call: Callable[[], object]) -> None:
        start = time.perf_counter()
        call()
        elapsed = time.perf_counter() - start
        with lock:
            timings.append(elapsed)

    def worker(pks: list[int]) -> None:
        try:
            barrier.wait(timeout=60)
            for pk in pks:
                for signer in (world.committee, world.committee2, world.official):
                    timed(
                        lambda signer=signer, pk=pk: services.payout_approve(
                            payout=PayoutRequest.objects.get(pk=pk),
                            actor=signer,
                            second_factor=SecondFactor("totp", timezone.now()),
                        )
                    )
                timed(
                    lambda pk=pk: services.payout_pay(
                        payout=PayoutRequest.objects.get(pk=pk),
                        actor=world.chair,
                        bank_reference=f"BENCH-{pk}",
                        payment_date=timezone.localdate(),
                        second_factor=SecondFactor("totp", timezone.now()),
                    )
                )
        except BaseException as exc:
            with lock:
                failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(pks,)) for pks in batches]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise failures[0]
    paid = PayoutRequest.objects.filter(
        pk__in=[pk for batch in batches for pk in batch], status="paid"
    ).count()
    assert paid == workers * REQUESTS_PER_WORKER, paid
    return {
        "calls": len(timings),
        "p50": _percentile(timings, 0.50),
        "p95": _percentile(timings, 0.95),
        "throughput": len(timings) / wall,
    }


# --------------------------------------------------------------------------- 2. inbox page


def bare_inbox(request, slug):
    """The baseline: a Django view that reads the same 20 rows and writes them out."""
    from django.http import HttpResponse

    from escrow.models import PayoutRequest

    rows = (
        PayoutRequest.objects.filter(compound__slug=slug, status="submitted")
        .order_by("-id")
        .values_list("id", "payee_name", "amount_fen")[:20]
    )
    return HttpResponse("\n".join(f"{pk}\t{payee}\t{fen}" for pk, payee, fen in rows))


def _urlpatterns():
    from django.urls import include, path

    return [path("bench/bare/<slug:slug>/", bare_inbox), path("", include("config.urls"))]


def __getattr__(name):
    # This module is also the URLconf of the page benchmark (settings.ROOT_URLCONF).
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def _bulk_waiting_requests(world, n: int) -> None:
    # Volume for a read benchmark: rows written in bulk, not through payout_submit (whose
    # holds would refuse ¥-many requests and whose per-row audit would take minutes).
    from django.db import connection
    from django.utils import timezone

    from escrow.models import PayoutRequest

    now = timezone.now()
    PayoutRequest.objects.bulk_create(
        (
            PayoutRequest(
                compound=world.a,
                applicant=world.staff,
                category="repair",
                expense_account="repairs",
                payee_name=f"维修商{i % 97}",
                payee_account_masked="6217 **** 0123",
                amount_fen=100_00 + i,
                purpose="基准测试",
                status="submitted",
                content_hash="0" * 64,
                submitted_at=now,
                waiting_since=now,
            )
            for i in range(n)
        ),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _page_timings(client, url: str) -> tuple[list[float], int]:
    from django.db import connection

    for _warm in range(3):
        assert client.get(url).status_code == 200
    # Counted with a wrapper: Django empties connection.queries at each request start.
    queries: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        client.get(url)
    timings = []
    for _i in range(PAGE_REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200
    return timings, len(queries)


def _inbox(world) -> dict:
    from django.test import Client, override_settings
    from django.urls import reverse

    from communities.permissions import Capability, access_compound
    from escrow.models import PayoutRequest
    from escrow.payouts.selectors import payouts_waiting_for

    _bulk_waiting_requests(world, INBOX_ROWS)
    client = Client()
    client.force_login(world.committee, backend="django.contrib.auth.backends.ModelBackend")
    compound, standing = access_compound(world.committee, world.a.slug, Capability.VIEW_FULL_LEDGER)
    waiting = payouts_waiting_for(compound=compound, standing=standing, user=world.committee).count()
    assert waiting >= INBOX_ROWS, waiting
    with override_settings(ROOT_URLCONF=__name__):
        inbox_url = reverse("escrow:payout-inbox", kwargs={"slug": world.a.slug})
        assert (
            f"#{PayoutRequest.objects.order_by('-id').first().pk} ".encode() in client.get(inbox_url).content
        )
        inbox, inbox_queries = _page_timings(client, inbox_url)
        bare, bare_queries = _page_timings(client, f"/bench/bare/{world.a.slug}/")
    access = []
    for _i in range(PAGE_REQUESTS):
        start = time.perf_counter()
        access_compound(world.committee, world.a.slug, Capability.VIEW_FULL_LEDGER)
        access.append(time.perf_counter() - start)
    return {
        "access_p50": statistics.median(access),
        "inbox_p50": statistics.median(inbox),
        "inbox_p95": _percentile(inbox, 0.95),
        "bare_p50": statistics.median(bare),
        "bare_p95": _percentile(bare, 0.95),
        "inbox_queries": inbox_queries,
        "bare_queries": bare_queries,
    }


# --------------------------------------------------------------------------- entry points


def run(report: Callable[[str, str], None]) -> None:
    _setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        report("payouts", "skipped: needs PostgreSQL (DATABASE_URL=postgres://…)")
        return
    from django.conf import settings

    media_root_before = settings.MEDIA_ROOT
    original_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = BENCH_DB
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with tempfile.TemporaryDirectory(prefix="gg-bench-media-") as media_root:
            world = _world(media_root)
            for workers in WORKERS:
                figures = _sign_and_pay(world, workers)
                label = f"payouts sign+pay, {workers:>2} concurrent"
                report(f"{label}: p50", _ms(figures["p50"]))
                report(f"{label}: p95", _ms(figures["p95"]))
                report(f"{label}: calls/s", f"{figures['throughput']:.0f} ({figures['calls']} calls)")
            figures = _inbox(world)
            report(f"payouts inbox page, {INBOX_ROWS:,} waiting: p50", _ms(figures["inbox_p50"]))
            report(f"payouts inbox page, {INBOX_ROWS:,} waiting: p95", _ms(figures["inbox_p95"]))
            report("payouts inbox page: queries per page", str(figures["inbox_queries"]))
            report("payouts bare 20-row view: p50", _ms(figures["bare_p50"]))
            report("payouts bare 20-row view: p95", _ms(figures["bare_p95"]))
            report("payouts inbox / bare (p50)", f"{figures['inbox_p50'] / figures['bare_p50']:.1f}×")
            report("payouts inbox: of which access_compound p50", _ms(figures["access_p50"]))
    finally:
        settings.MEDIA_ROOT = media_root_before
        connection.creation.destroy_test_db(original_name, verbosity=0)


def main() -> None:
    rows: list[tuple[str, str]] = []

    def report(name: str, value: str) -> None:
        rows.append((name, value))
        print(f"{name:<48} {value}", flush=True)

    print(f"{'benchmark':<48} value\n{'-' * 48} {'-' * 24}")
    run(report)


if __name__ == "__main__":
    main()
