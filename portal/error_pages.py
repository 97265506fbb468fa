"""The site's error pages: 400, 403, 404, 500 and a refused CSRF check, in the site's
layout and language. The API keeps its one error shape (``common.api``) for every
``/api/`` URL.

A person who belongs to a compound and opens a page their roles may not use gets a 403
that names the roles that may (``communities.permissions.CapabilityDenied``); a compound
they have no standing in still answers exactly like a missing one.
"""

from __future__ import annotations

import logging

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from common.api import error_body
from communities.permissions import CapabilityDenied

logger = logging.getLogger(__name__)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _page(request, status: int, *, title: str, text: str, **extra):
    return render(
        request,
        f"{status}.html",
        {"status": status, "title": title, "text": text, **extra},
        status=status,
    )


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body(_("Bad request.")), status=400)
    return _page(
        request,
        400,
        title=_("This request could not be understood"),
        text=_("The address or the form sent was not what this site expects. Go back and try again."),
    )


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body(_("You do not have permission to do this.")), status=403)
    return _page(
        request,
        403,
        title=_("This page is not for your role"),
        text=_("Your roles do not allow this page."),
    )


def page_not_found(request, exception=None):
    """404; a ``CapabilityDenied`` from a page becomes the 403 that says who may use it."""

    if _is_api(request):
        return JsonResponse(error_body(_("Not found.")), status=404)
    if isinstance(exception, CapabilityDenied):
        return _page(
            request,
            403,
            title=_("This page is not for your role"),
            text=_("In %(compound)s this page is for:") % {"compound": exception.compound.name},
            roles=exception.role_labels,
            compound=exception.compound,
        )
    return _page(
        request,
        404,
        title=_("Page not found"),
        text=_(
            "There is no such page, or it is not open to you. Check the address, or start again "
            "from your home page."
        ),
    )


def server_error(request):
    """500. Rendered without the database or the user (either may be what failed)."""
    if _is_api(request):
        return JsonResponse(
            error_body(_("Server error: the request was not completed. Try again later.")), status=500
        )
    try:
        template = loader.get_template("500.html")
        return HttpResponseServerError(template.render({}))
    except Exception:  # the error page must never fail in turn
        logger.exception("the 500 page could not be rendered")
        return HttpResponseServerError(b"<h1>500</h1>", content_type="text/html")


def csrf_failure(request, reason="", template_name=None):
    """CSRF_FAILURE_VIEW: most often a form left open too long, or cookies switched off."""
    if _is_api(request):
        return JsonResponse(error_body(_("CSRF check failed: reload the page and try again.")), status=403)
    return _page(
        request,
        403,
        title=_("This form has expired"),
        text=_(
            "For your safety the site refused this form: it may have been open too long, or the "
            "browser does not keep this site's cookies. Go back, reload the page and send it again."
        ),
    )
