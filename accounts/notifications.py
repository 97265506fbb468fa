"""Tell people about something: an inbox row now, an e-mail after commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from accounts.models import Notification, User


def notify(
    *, users: Iterable[User], kind: str, title: str, body: str = "", url: str = "", compound=None
) -> int:
    """Create inbox items for ``users`` (deduplicated) and e-mail those with an address once
    the surrounding transaction commits — a rolled-back change must not send mail."""
    recipients = {u.pk: u for u in users if u is not None and u.is_active}
    if not recipients:
        return 0
    Notification.objects.bulk_create(
        Notification(user=u, compound=compound, kind=kind, title=title[:200], body=body, url=url)
        for u in recipients.values()
    )
    emails = sorted({u.email for u in recipients.values() if u.email})
    if emails:
        link = f"{settings.SITE_URL}{url}" if url else ""

        from accounts.tasks import notification_email_send

        subject, text = title[:200], f"{body}\n\n{link}".strip()

        def send():
            # One message per person: a shared To: line would show everyone's address.
            for email in emails:
                notification_email_send.delay(subject, text, [email])

        transaction.on_commit(send)
    return len(recipients)
