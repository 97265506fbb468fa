"""A real Celery worker (Redis broker, PostgreSQL) killed with SIGKILL in the middle of
a disclosure build; the sweep then finishes the build exactly once, as soon as the
build's heartbeat has stopped — not only after the 10-minute lease."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from escrow.models import Disclosure, DisclosureFile, DisclosureStatus
from escrow.transparency import services as svc
from tests.escrow.ledger.helpers import open_escrow, pay_in, pay_out

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def broker_url():
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("needs a Redis broker: set CELERY_BROKER_URL=redis://… (CI does)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker and the test share the database")
    return url


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task")
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_build_then_the_sweep_completes_it_exactly_once(
    world, broker_url, tmp_path, settings
):
    # The worker beats every second (tests/workers/slow_disclosures.py); here a heartbeat
    # older than 4 s counts as stopped (production: 5 s and 20 s, the sweep every 30 s).
    settings.DISCLOSURE_HEARTBEAT_STALE_SECONDS = 4
    compound = world.a
    open_escrow(compound, opening_fen=500_00, opened_on=dt.date(2026, 1, 1))
    pay_in(compound, 1_234_56, on=dt.date(2026, 2, 3))
    pay_out(compound, 321_00, on=dt.date(2026, 3, 4))
    disclosure, _ = svc.disclosure_ensure(compound=compound, year=2026, quarter=1)

    queue = f"test-disclosures-{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url,
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.workers.slow_disclosures", "worker",
         "--pool=solo", "-Q", queue, "--without-heartbeat", "--without-mingle", "--without-gossip",
         "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        from config.celery import app

        app.send_task("escrow.disclosure_build", args=[disclosure.pk], queue=queue)
        # The worker froze the figures and committed three files, then hangs on the PDF.
        wait_for(
            lambda: DisclosureFile.objects.filter(disclosure=disclosure).count() == 3,
            timeout=90,
            what="the worker to commit JSON, CSV and HTML",
        )
        # While it hangs on the PDF the build is alive: its heartbeat keeps moving.
        first_beat = Disclosure.objects.get(pk=disclosure.pk).heartbeat_at
        wait_for(
            lambda: Disclosure.objects.get(pk=disclosure.pk).heartbeat_at > first_beat,
            timeout=15,
            what="the running build's heartbeat",
        )
        assert svc.disclosures_sweep() == []  # alive: left alone
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        killed = time.monotonic()
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
        print((tmp_path / "worker.log").read_text(errors="replace")[-3000:])

    disclosure.refresh_from_db()
    assert disclosure.status == DisclosureStatus.BUILDING
    assert disclosure.attempts == 1 and disclosure.figures is not None
    frozen_digest = disclosure.digest
    frozen_claim = disclosure.claimed_at
    assert sorted(DisclosureFile.objects.filter(disclosure=disclosure).values_list("format", flat=True)) == [
        "csv",
        "html",
        "json",
    ]

    # Nothing is redelivered (the message stays unacknowledged on Redis). The sweep takes
    # the build over once its heartbeat is stale — seconds after the kill, well inside the
    # 10-minute lease (nothing here moves the clock or the claim).
    swept: list[int] = []

    def sweep_takes_it() -> bool:
        swept.extend(svc.disclosures_sweep())
        return bool(swept)

    wait_for(sweep_takes_it, timeout=30, what="the sweep to take over the dead build")
    resumed_after = time.monotonic() - killed
    assert swept == [disclosure.pk]
    assert 3 <= resumed_after < 15, resumed_after  # not before the heartbeat went stale, nor late
    assert svc.disclosures_sweep() == []

    disclosure.refresh_from_db()
    assert disclosure.status == DisclosureStatus.READY
    assert disclosure.claimed_at - frozen_claim < svc.CLAIM_LEASE  # taken over inside the lease
    assert disclosure.attempts == 2
    assert disclosure.digest == frozen_digest
    files = list(DisclosureFile.objects.filter(disclosure=disclosure).values_list("format", flat=True))
    assert sorted(files) == ["csv", "html", "json", "pdf"]  # each exactly once
    assert Disclosure.objects.filter(compound=compound, year=2026, quarter=1).count() == 1
