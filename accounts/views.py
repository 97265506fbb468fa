"""The notification inbox: what the services told this person about (accounts.notify)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Notification

PAGE_SIZE = 30


@login_required
@require_GET
def notification_list(request):
    notifications = (
        Notification.objects.filter(user=request.user)
        .select_related("compound")
        .order_by("-created_at", "-id")
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def notification_open(request, pk):
    """Follow an item's link (only ever to this site). Opening it from the inbox is a
    POST, which marks it read; a GET (a prefetch, a crawler, a pasted link) changes nothing."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if request.method == "POST" and notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return redirect(url)
    return redirect("notification-list")


@login_required
@require_POST
def notification_read_all(request):
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notification-list")
