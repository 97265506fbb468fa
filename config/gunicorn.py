"""gunicorn's configuration as shipped (docker-compose.yml and the Dockerfile pass
``--config config/gunicorn.py``); command-line flags still override it.

Each worker loads the application itself (no ``preload_app``: database connections are
never shared across a fork) and then, before it accepts a request, renders one small
Chinese PDF so that WeasyPrint's libraries and the CJK font are loaded (issue 17: the
first PDF of a fresh worker cost 0.77–1.0 s a page, 0.2 s warm). GUNICORN_WARM_PDF=false
skips it.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
accesslog = "-"
# The worker timeout stays gunicorn's default (30 s); the warm-up runs in
# post_worker_init, before the worker's first heartbeat matters.


def post_worker_init(worker):
    if os.environ.get("GUNICORN_WARM_PDF", "true").strip().lower() in ("0", "false", "no", "off"):
        return
    from common.pdf import warm_pdf_fonts

    seconds = warm_pdf_fonts()
    worker.log.info("worker %s: PDF fonts warm in %.2f s", worker.pid, seconds)
