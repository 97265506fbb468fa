from celery import shared_task
from django.core.mail import send_mail


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_email_send(subject: str, body: str, recipients: list[str]) -> None:
    send_mail(subject, body, None, recipients, fail_silently=False)
