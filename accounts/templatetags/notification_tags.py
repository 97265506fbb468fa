"""The unread count in the top bar: one indexed COUNT per page, for signed-in users only."""

from django import template

from accounts.models import Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notification_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
