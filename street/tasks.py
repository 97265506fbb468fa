from celery import shared_task

from street import services


@shared_task(name="street.refresh_all")
def street_refresh_all(months: int | None = 3) -> dict:
    """Beat: every street office's rollups (the last few months), then its flags."""
    return {str(k): v for k, v in services.refresh_all(months=months).items()}
