"""The street office's pages: the dashboard, its charts, its flags, exports, refresh.
Street admins and inspectors of the office only (404 for everybody else); inspectors
read, admins also decide flags and refresh."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.errors import ApplicationError
from communities.models import Community
from street import exports, selectors, services
from street.flags import describe, flag_link
from street.permissions import access_dashboard
from street.rules import RULES


def _errors(exc: ValidationError) -> list[str]:
    return [f"{name}: {m}" for name, msgs in exc.message_dict.items() for m in msgs]


@login_required
@require_GET
def dashboard_page(request, slug):
    dashboard, role = access_dashboard(request.user, slug)
    office = dashboard.street_office
    try:
        query = selectors.DashboardQuery.parse(request.GET)
    except ValidationError as exc:
        return render(
            request,
            "street/dashboard.html",
            {
                "dashboard": dashboard,
                "office": office,
                "role": role,
                "errors": _errors(exc),
                "params": request.GET,
            },
            status=400,
        )
    data = selectors.dashboard(office, query, page=query.page, refreshed_at=dashboard.rollups_refreshed_at)
    return render(
        request,
        "street/dashboard.html",
        {
            "dashboard": dashboard,
            "office": office,
            "role": role,
            "query": query,
            "params": request.GET,
            "communities": Community.objects.filter(street_office=office).order_by("name"),
            "sorts": list(selectors.SORT_LABELS.items()),
            **data,
        },
    )


@login_required
@require_GET
def charts_page(request, slug):
    dashboard, role = access_dashboard(request.user, slug)
    return render(
        request,
        "street/charts.html",
        {
            "dashboard": dashboard,
            "office": dashboard.street_office,
            "role": role,
            **selectors.charts(dashboard.street_office),
        },
    )


@login_required
@require_GET
def flags_page(request, slug):
    dashboard, role = access_dashboard(request.user, slug)
    try:
        flags = selectors.office_flags(dashboard.street_office, status=request.GET.get("status", ""))
    except ValidationError as exc:
        return render(
            request,
            "street/flags.html",
            {"dashboard": dashboard, "role": role, "errors": _errors(exc), "rules": RULES, "flags": []},
            status=400,
        )
    for flag in flags:
        flag.link = flag_link(flag)
        flag.lines = describe(flag)
    return render(
        request,
        "street/flags.html",
        {
            "dashboard": dashboard,
            "office": dashboard.street_office,
            "role": role,
            "flags": flags,
            "rules": RULES,
        },
    )


@login_required
@require_POST
def flag_decide(request, slug, pk):
    dashboard, role = access_dashboard(request.user, slug)
    if role != "admin":
        raise Http404
    try:
        services.flag_decide(
            flag_id=pk,
            street_office=dashboard.street_office,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("street:flags", slug=slug)


@login_required
@require_POST
def refresh(request, slug):
    dashboard, role = access_dashboard(request.user, slug)
    if role != "admin":
        raise Http404
    services.rollups_refresh(dashboard.street_office, actor=request.user)
    services.flags_refresh(dashboard.street_office, actor=request.user)
    messages.success(request, _("Figures and flags refreshed."))
    return redirect("street:dashboard", slug=slug)


@login_required
@require_GET
def export(request, slug, fmt):
    dashboard, _role = access_dashboard(request.user, slug)
    if fmt not in exports.FORMATS:
        raise Http404
    params = request.GET.copy()
    try:
        query = selectors.DashboardQuery.parse(params)
    except ValidationError as exc:
        return render(
            request,
            "street/dashboard.html",
            {
                "dashboard": dashboard,
                "office": dashboard.street_office,
                "errors": _errors(exc),
                "params": params,
            },
            status=400,
        )
    return exports.FORMATS[fmt](dashboard, query)
