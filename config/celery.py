"""Celery application. With no CELERY_BROKER_URL the tasks run in-process (eager)."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("gongguan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_pdf_fonts(**kwargs):
    """Each worker process loads WeasyPrint and the CJK font before its first task
    (issue 17: a PDF rendered cold costs 0.77–1.0 s a page). The Django fixup, connected
    before this, has already closed any connection inherited from the parent; it also
    closes the connection around every task, so CONN_MAX_AGE never keeps a dead one."""
    if os.environ.get("CELERY_WARM_PDF", "true").strip().lower() in ("0", "false", "no", "off"):
        return
    import logging

    from common.pdf import warm_pdf_fonts

    logging.getLogger(__name__).info("PDF fonts warm in %.2f s", warm_pdf_fonts())
