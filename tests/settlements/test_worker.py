"""A real Celery worker (Redis broker, PostgreSQL) killed with SIGKILL in the middle of a
settlement run; the sweep then completes it exactly once with the same figures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from settlements import services
from settlements.models import Settlement, SettlementFile, SettlementStatus
from settlements.services import build
from settlements.services.policy import policy_in_force
from tests.escrow.transparency import test_disclosures_worker as disclosure_worker
from tests.settlements.helpers import EXPECTED, YEAR, settled_world

ROOT = Path(__file__).resolve().parents[2]
broker_url = disclosure_worker.broker_url  # the fixture: a Redis broker and PostgreSQL, or skip
wait_for = disclosure_worker.wait_for


@pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task")
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_settlement_then_the_sweep_completes_it_exactly_once(
    world,
    broker_url,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settled_world(world, django_capture_on_commit_callbacks)
    settlement = Settlement.objects.create(
        compound=world.a, year=YEAR, policy=policy_in_force(world.office), requested_by=world.official
    )
    queue = f"test-settlements-{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url,
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.workers.slow_settlements", "worker",
         "--pool=solo", "-Q", queue, "--without-heartbeat", "--without-mingle", "--without-gossip",
         "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        from config.celery import app

        app.send_task("settlements.settlement_build", args=[settlement.pk], queue=queue)
        wait_for(
            lambda: SettlementFile.objects.filter(settlement=settlement).count() == 3,
            timeout=90,
            what="the worker to commit JSON, CSV and HTML",
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
        print((tmp_path / "worker.log").read_text(errors="replace")[-3000:])

    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.BUILDING
    assert settlement.attempts == 1 and settlement.figures["figures"] == EXPECTED
    frozen = settlement.digest

    assert services.settlements_sweep() == []  # within the lease: left alone
    Settlement.objects.filter(pk=settlement.pk).update(claimed_at=settlement.claimed_at - build.CLAIM_LEASE)
    assert services.settlements_sweep() == [settlement.pk]
    assert services.settlements_sweep() == []

    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.READY
    assert settlement.attempts == 2
    assert settlement.digest == frozen
    formats = sorted(SettlementFile.objects.filter(settlement=settlement).values_list("format", flat=True))
    assert formats == ["csv", "html", "json", "pdf"]
    assert Settlement.objects.filter(compound=world.a, year=YEAR).count() == 1
