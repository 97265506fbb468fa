"""A real Celery worker whose disclosure PDF step hangs, so a test can kill it mid-build.

Started by tests/escrow/test_disclosures_worker.py as
``celery -A tests.workers.slow_disclosures worker …``; nothing else imports it."""

import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from celery.signals import worker_init

from config.celery import app

__all__ = ["app"]


@worker_init.connect
def _hang_before_the_pdf(**_kwargs):
    from django.conf import settings

    from escrow.transparency.services import build as disclosures

    settings.DISCLOSURE_HEARTBEAT_SECONDS = 1  # the test waits for a stale heartbeat: keep it short

    render = disclosures.render_file

    def slow(document, fmt):
        if fmt == "pdf":
            time.sleep(600)  # killed long before this returns
        return render(document, fmt)

    disclosures.render_file = slow
