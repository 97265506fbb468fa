"""A real Celery worker whose settlement PDF step hangs, so a test can kill it mid-run.

Started by tests/settlements/test_worker.py as ``celery -A tests.workers.slow_settlements worker …``."""

import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from celery.signals import worker_init

from config.celery import app

__all__ = ["app"]


@worker_init.connect
def _hang_before_the_pdf(**_kwargs):
    from settlements import render as settlement_render

    render = settlement_render.render_file

    def slow(document, fmt):
        if fmt == "pdf":
            time.sleep(600)  # killed long before this returns
        return render(document, fmt)

    settlement_render.render_file = slow
