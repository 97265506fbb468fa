"""Every request's fixed costs (issue 17), each against a baseline of the same run:

* A new PostgreSQL connection per request against the shipped persistent, health-checked
  ones: a bare one-query view through gunicorn (3 sync workers, ``config/gunicorn.py``),
  ``CONN_MAX_AGE=0`` against the default.
* The members' ledger page ÷ a bare one-query view, in-process; and what share of the
  page is the person's standing (``standing_in`` / ``access_compound``) before issue 17
  (OR-join DISTINCT queries on every call, several calls a request) and now (once per
  request, cached across requests).
* The first PDF of a fresh worker process, with and without the warm-up that
  ``config/gunicorn.py`` and ``config/celery.py`` run at worker start.

Run by ``python -m bench`` (the runner's database), or alone:
``DATABASE_URL=postgres://…/some_scratch_db python -m bench.bench_requests`` (it uses that
database as it is: give it a scratch one).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-requests"
ENTRIES = 60
HTTP_REQUESTS = 1_500
HTTP_THREADS = 6
PAGE_ROUNDS = 60
PDF_PAGES_ROWS = 50  # rows of the representative document: two A4 pages


def run(report) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        report("requests", "skipped: needs PostgreSQL (DATABASE_URL=postgres://…)")
        return
    setup = _setup()
    _connections(report)
    _member_page(report, setup)
    _first_pdf(report)


# --------------------------------------------------------------------------- data


def _setup() -> dict:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from communities import services
    from communities.models import Compound
    from escrow.ledger.services import credit, debit, escrow_account_open, ledger_post
    from escrow.models import Category, EntryKind

    existing = Compound.objects.filter(slug=SLUG).first()
    if existing is not None:
        return {"compound": existing, "member": User.objects.get(phone="+8613900000917")}
    office = services.street_office_create(name="浮山街道(请求基准)", actor=None)
    community = services.community_create(street_office=office, name="书台社区", actor=None)
    compound = services.compound_create(community=community, name="尚城国际", slug=SLUG, actor=None)
    company = services.property_company_create(name="华懋物业(请求基准)", actor=None)
    services.contract_start(
        compound=compound, company=company, start_date=dt.date(2024, 1, 1), fee_rate_fen=120, actor=None
    )
    escrow_account_open(
        compound=compound,
        bank_name="中国银行咸宁分行",
        account_name="尚城国际共管账户",
        account_number="6222021234567890123",
        opened_on=dt.date(2024, 1, 1),
        actor=None,
    )
    member = User.objects.create_user(
        phone="+8613900000917", password="bench-not-secret", display_name="委员"
    )
    services.membership_create(user=member, role="committee_member", compound=compound, actor=None)
    # A person of several parties, as the pilots have them (交叉任职): committee member,
    # company-wide staff of another company, and an owner.
    other = services.property_company_create(name="安居物业(请求基准)", actor=None)
    services.membership_create(user=member, role="company_staff", company=other, actor=None)
    today = timezone.localdate()
    for i in range(ENTRIES):
        with transaction.atomic(durable=True):
            ledger_post(
                compound=compound,
                kind=EntryKind.FEE_PAYMENT,
                legs=[debit(Category.ESCROW_CASH, 10_000 + i), credit(Category.FEE_INCOME, 10_000 + i)],
                memo=f"{i % 12 + 1}栋 物业费",
                effective_date=today,
                actor=None,
                idempotency_key=f"bench-requests:{i}",
            )
    return {"compound": compound, "member": member}


# --------------------------------------------------------------------------- connections


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(env_extra: dict) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "3",
        "GUNICORN_WARM_PDF": "false",
        **env_extra,
    }
    for name in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
        if name not in env_extra:
            env.pop(name, None)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "bench.wsgi_bare:application",
            "--config",
            "config/gunicorn.py",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _get(port, f"/bare/{SLUG}/") == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not answer: {process.stderr.read().decode()[-2000:]}")


def _get(port: int, path: str) -> int:
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _throughput(port: int) -> tuple[float, float]:
    """Requests per second and p50 latency (ms) of HTTP_THREADS clients sharing HTTP_REQUESTS."""
    for _ in range(30):  # every worker has connected (or not) before timing
        _get(port, f"/bare/{SLUG}/")
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    each = HTTP_REQUESTS // HTTP_THREADS

    def client():
        mine = []
        for _ in range(each):
            start = time.perf_counter()
            status = _get(port, f"/bare/{SLUG}/")
            mine.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(HTTP_THREADS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"bare view answered {errors[:5]}")
    return len(latencies) / elapsed, statistics.median(latencies) * 1000


def _connections(report) -> None:
    from django.db import connections

    connections.close_all()  # the runner's connection stays out of the workers' way
    results = {}
    # Interleaved twice, so a machine that speeds up or slows down does not favour one.
    for label, env in [("per request", {"CONN_MAX_AGE": "0"}), ("shipped", {})] * 2:
        process, port = _serve(env)
        try:
            rps, p50 = _throughput(port)
        finally:
            process.terminate()
            process.wait(timeout=30)
        results.setdefault(label, []).append((rps, p50))
    per_request = max(r for r, _ in results["per request"])
    shipped = max(r for r, _ in results["shipped"])
    report.add(
        "bare view via gunicorn ×3, a new connection each request",
        per_request,
        "req/s",
        f"CONN_MAX_AGE=0; p50 {min(p for _, p in results['per request']):.1f} ms",
    )
    report.add(
        "bare view via gunicorn ×3, as shipped",
        shipped,
        "req/s",
        f"CONN_MAX_AGE=60, health checks; p50 {min(p for _, p in results['shipped']):.1f} ms",
    )
    report.ratio(
        "time per request: as shipped ÷ new connection each",
        1 / shipped,
        1 / per_request,
        target_max=0.8,
        note="goal: persistent connections by default, the gain visible",
    )


# --------------------------------------------------------------------------- member page


def _standing_before(user, compound, on):
    """``standing_in`` as it was before issue 17: the OR-join DISTINCT rule."""
    from communities.models import Party, Role, UnitOwnership, _active_q
    from communities.permissions import Standing, active_memberships, reaching_q

    standing = Standing(compound=compound)
    if UnitOwnership.objects.filter(_active_q(on=on), user=user, compound=compound).exists():
        standing.roles.add(Role.OWNER)
    for membership in active_memberships(user, on).filter(reaching_q(compound)).distinct():
        standing.roles.add(membership.role)
        standing.memberships.append(membership)
    standing.memberships.extend(
        active_memberships(user, on)
        .filter(party=Party.COMPANY)
        .exclude(pk__in=[m.pk for m in standing.memberships])
    )
    return standing


def _member_page(report, setup) -> None:
    from django.test import Client, override_settings
    from django.urls import path

    import communities.permissions as permissions

    compound, member = setup["compound"], setup["member"]
    client = Client()
    client.force_login(member, backend="django.contrib.auth.backends.ModelBackend")

    def bare(request, slug):
        from django.http import HttpResponse

        from communities.models import Compound

        return HttpResponse(Compound.objects.filter(slug=slug).values_list("name", flat=True).get())

    global urlpatterns
    from django.urls import include

    urlpatterns = [path("bench/bare/<slug:slug>/", bare), path("", include("config.urls"))]
    page_url, bare_url = f"/c/{compound.slug}/ledger/", f"/bench/bare/{compound.slug}/"

    computed = {"n": 0, "seconds": 0.0}
    real_compute = permissions._compute_standing

    def timed(fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                computed["n"] += 1
                computed["seconds"] += time.perf_counter() - start

        return wrapper

    def measure(mode: str) -> dict:
        samples = {"page": [], "bare": []}
        per_request = {"n": [], "seconds": []}
        for _ in range(PAGE_ROUNDS):
            for name, url in (("page", page_url), ("bare", bare_url)):
                computed.update(n=0, seconds=0.0)
                start = time.perf_counter()
                response = client.get(url)
                samples[name].append(time.perf_counter() - start)
                assert response.status_code == 200, response.content[:300]
                if name == "page":
                    per_request["n"].append(computed["n"])
                    per_request["seconds"].append(computed["seconds"])
        return {
            "page": statistics.median(samples["page"]) * 1000,
            "bare": statistics.median(samples["bare"]) * 1000,
            "calls": statistics.median(per_request["n"]),
            "standing": statistics.median(per_request["seconds"]) * 1000,
        }

    with override_settings(ROOT_URLCONF=__name__):
        before_memo = permissions.request_memo
        try:
            permissions._compute_standing = timed(_standing_before)
            permissions.request_memo = lambda: None
            with override_settings(STANDING_CACHE_SECONDS=0):
                before = measure("before")
        finally:
            permissions._compute_standing = timed(real_compute)
            permissions.request_memo = before_memo
        try:
            with override_settings(STANDING_CACHE_SECONDS=300):
                after = measure("after")
                # What a cache hit costs (the shipped default with Redis; LocMem here).
                from django.contrib.auth.models import AnonymousUser  # noqa: F401

                permissions.standing_in(member, compound)
                start = time.perf_counter()
                for _ in range(500):
                    permissions.standing_in(member, compound)
                hit_ms = (time.perf_counter() - start) / 500 * 1000
        finally:
            permissions._compute_standing = real_compute

    report.add("members' ledger page, before: standings computed per request", before["calls"])
    report.add(
        "members' ledger page, before: standing share",
        f"{before['standing']:.2f} ms of {before['page']:.1f} ms ({before['standing'] / before['page']:.0%})",
        note="OR-join DISTINCT, every call",
    )
    after_ms = after["standing"] + hit_ms  # a miss now and then, else one cache read a request
    report.add(
        "members' ledger page, now: standing share",
        f"{after_ms:.2f} ms of {after['page']:.1f} ms ({after_ms / after['page']:.0%})",
        note=f"once per request; a cache hit {hit_ms:.3f} ms",
    )
    report.ratio(
        "members' ledger page, now ÷ before (p50)",
        after["page"],
        before["page"],
        note=f"{after['page']:.1f} ms vs {before['page']:.1f} ms",
    )
    report.ratio(
        "members' ledger page ÷ bare one-query view (p50)",
        after["page"],
        after["bare"],
        target_max=2.0,
        note=f"bare {after['bare']:.1f} ms; the template part is escrow's (issue 17)",
    )


def __getattr__(name):
    if name == "urlpatterns":  # before _member_page sets it (URL resolving imports this module)
        from django.urls import include, path

        return [path("", include("config.urls"))]
    raise AttributeError(name)


# --------------------------------------------------------------------------- first PDF

_PDF_CHILD = r"""
import os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
import django
django.setup()
from common.pdf import PDF_FONT_FAMILY, PDF_MONO_FONT_FAMILY, warm_pdf_fonts
if sys.argv[1] == "warm":
    warm_pdf_fonts()
rows = "".join(
    f"<tr><td>2026-{i % 12 + 1:02d}-{i % 28 + 1:02d}</td><td>{i % 9 + 1}栋{i % 30 + 1:02d}01 物业费（电梯维修、绿化养护）</td>"
    f"<td class='n'>{(i * 7919) % 100000 / 100:,.2f}</td><td class='h'>{i * 104729 % 16**12:012x}</td></tr>"
    for i in range(int(sys.argv[2]))
)
html = f'''<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 15mm; @bottom-right {{ content: "第 " counter(page) " 页，共 " counter(pages) " 页"; font-family: "{PDF_FONT_FAMILY}"; font-size: 8pt; }} }}
body {{ font-family: "{PDF_FONT_FAMILY}"; font-size: 9pt; }} td {{ border-bottom: 1px solid #ccc; padding: 2px 4px; }}
.n {{ text-align: right; }} .h {{ font-family: "{PDF_MONO_FONT_FAMILY}"; font-size: 7pt; }}
</style></head><body><h1>尚城国际 共管账户收支公示</h1><table>{rows}</table></body></html>'''
times, cpu = [], []
for _ in range(2):
    # As the site's renderers do: WeasyPrint is imported inside the function (a cold
    # worker pays the import with its first PDF).
    start, start_cpu = time.perf_counter(), time.process_time()
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).render()
    document.write_pdf()
    times.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
print(times[0], times[1], cpu[0], cpu[1], len(document.pages))
"""


def _pdf_child(mode: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", _PDF_CHILD, mode, str(PDF_PAGES_ROWS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    first, second, first_cpu, second_cpu, pages = result.stdout.split()[-5:]
    n = int(pages)
    return {
        "pages": n,
        "first": float(first) / n,
        "second": float(second) / n,
        "first_cpu": float(first_cpu) / n,
        "second_cpu": float(second_cpu) / n,
    }


def _first_pdf(report) -> None:
    """Seconds a page, CPU time of the rendering process (wall time in the notes): the CPU
    figure does not move when other processes share the machine; on a quiet one the two
    agree within a few per cent."""
    runs: dict[str, list[dict]] = {"cold": [], "warm": []}
    for _ in range(3):  # fresh processes, alternating
        for mode in ("cold", "warm"):
            runs[mode].append(_pdf_child(mode))

    def med(mode, key):
        return statistics.median(r[key] for r in runs[mode])

    pages = runs["cold"][0]["pages"]
    steady = statistics.median([r["second_cpu"] for r in runs["cold"] + runs["warm"]])
    steady_wall = statistics.median([r["second"] for r in runs["cold"] + runs["warm"]])
    report.add(
        f"first PDF of a fresh process, no warm-up ({pages} pages)",
        f"{med('cold', 'first_cpu'):.3f} s/page",
        note=f"wall {med('cold', 'first'):.3f} s/page",
    )
    report.add(
        "a PDF in a process that has rendered one",
        f"{steady:.3f} s/page",
        note=f"the warm baseline; wall {steady_wall:.3f} s/page",
    )
    report.target(
        "first PDF of a fresh worker, fonts warmed at start",
        med("warm", "first_cpu"),
        "s/page",
        at_most=0.5,
        note=f"wall {med('warm', 'first'):.3f} s/page",
    )
    report.ratio(
        "first PDF: warmed worker ÷ warm baseline",
        med("warm", "first_cpu"),
        steady,
        target_max=1.5,
        note=f"without the warm-up {med('cold', 'first_cpu') / steady:.2f}×",
    )


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from bench.__main__ import Report

    report = Report(options=None)
    report.section("bench_requests")
    run(report)
    print(report.table())


if __name__ == "__main__":
    main()
