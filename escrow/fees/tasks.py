"""Celery tasks of the escrow app. Thin: each calls one service.

``bills_generate_month`` runs from beat on the 1st of every month (see
CELERY_BEAT_SCHEDULE in config/settings/base.py) and fans out one
``bills_generate`` per compound, so compounds are billed in parallel and a failure
in one does not stop the others. Both are safe to run again: a unit billed for a
month is never billed twice.
"""

from __future__ import annotations

from celery import shared_task
from django.db.models import Exists, OuterRef
from django.utils import timezone

from communities.models import Compound, ServiceContract
from escrow.fees.periods import parse_period
from escrow.fees.services.billing import bills_generate as bills_generate_service


@shared_task(name="escrow.tasks.bills_generate")
def bills_generate(compound_id: int, period: str) -> dict:
    """Bill every unit of one compound for one month ('YYYY-MM' or 'YYYY-MM-01')."""
    compound = Compound.objects.get(pk=compound_id)
    run = bills_generate_service(compound=compound, period=parse_period(period), actor=None)
    return {
        "compound": compound.slug,
        "period": run.period.isoformat(),
        "created": run.created,
        "existing": run.existing,
        "total_fen": run.total_fen,
    }


@shared_task(name="escrow.tasks.bills_generate_month")
def bills_generate_month(period: str | None = None) -> list[int]:
    """Queue this month's (or ``period``'s) bill run for every compound with a contract."""
    month = parse_period(period) if period else timezone.localdate().replace(day=1)
    has_contract = ServiceContract.objects.filter(compound=OuterRef("pk"), start_date__lte=month)
    compound_ids = list(
        Compound.objects.filter(Exists(has_contract)).order_by("pk").values_list("pk", flat=True)
    )
    for compound_id in compound_ids:
        bills_generate.delay(compound_id, month.isoformat())
    return compound_ids
