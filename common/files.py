"""Files sent to browsers, with their headers in one place: the name (Content-Disposition,
RFC 6266 — Django's ``content_disposition_header``), ``nosniff``, the caching of private
files, and ETags answered with Django's ``get_conditional_response`` (304)."""

from __future__ import annotations

import io

from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header

# A PDF or image opened from here runs no script and cannot reach the site.
SANDBOX_CSP = "sandbox; default-src 'none'"


def named(response: HttpResponseBase, filename: str, *, inline: bool = False) -> HttpResponseBase:
    """Name the file the browser saves (or shows, ``inline``)."""
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    return response


def private(response: HttpResponseBase, *, sandbox: bool = False) -> HttpResponseBase:
    """A file only its reader may see: never stored by a cache, never sniffed; ``sandbox``
    also forbids scripts and requests from the document itself."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if sandbox:
        response["Content-Security-Policy"] = SANDBOX_CSP
    return response


def file_response(
    content: bytes | io.IOBase,
    *,
    filename: str,
    content_type: str,
    inline: bool = False,
    request=None,
    etag: str | None = None,
) -> HttpResponseBase:
    """Bytes or an open file as a download (``inline``: shown in the browser). With an
    ``etag`` (quoted) and the ``request``, a client that already holds this version gets
    304 Not Modified. Always ``nosniff``; the caller adds the caching it needs."""
    if etag is not None and request is not None:
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            not_modified["ETag"] = etag
            not_modified["X-Content-Type-Options"] = "nosniff"
            return not_modified
    if isinstance(content, bytes | bytearray):
        # Bytes already in memory: an ordinary response (with its length), named here.
        response = named(HttpResponse(bytes(content), content_type=content_type), filename, inline=inline)
        response["Content-Length"] = str(len(content))
    else:
        response = FileResponse(
            content, as_attachment=not inline, filename=filename, content_type=content_type
        )
    if etag is not None:
        response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    return response
