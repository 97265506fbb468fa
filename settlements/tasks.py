"""Settlement jobs (Celery beat in config/settings/base.py). Thin: the services are resumable."""

from __future__ import annotations

from celery import shared_task

from settlements import services


@shared_task(name="settlements.settlement_build", acks_late=True)
def settlement_build_task(settlement_id: int) -> str:
    return "built" if services.settlement_build(settlement_id) is not None else "skipped"


@shared_task(name="settlements.settlement_release", acks_late=True)
def settlement_release_task(settlement_id: int) -> str:
    return "released" if services.settlement_release(settlement_id) is not None else "skipped"


@shared_task(name="settlements.run_january")
def settlements_run_january_task() -> list[int]:
    return services.settlements_run_january()


@shared_task(name="settlements.sweep")
def settlements_sweep_task() -> list[int]:
    return services.settlements_sweep()


@shared_task(name="settlements.contracts_warn_ending")
def contracts_warn_ending_task() -> list[int]:
    return services.contracts_warn_ending()
