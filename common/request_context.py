"""Carries the current request's client address to services that write audit events,
and a memo of what one request computes once (``request_memo``).

Services take an explicit actor, but the IP address is a property of the request,
not of the business action, so it travels in a context variable set by middleware
rather than through every service signature.
"""

from __future__ import annotations

import contextvars

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)
# What is worth computing once per request (a person's standing in a compound): a dict
# that lives exactly as long as the request; None outside one (tasks, shell, tests that
# call services directly), where nothing is memoised.
_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_memo", default=None)


def request_memo() -> dict | None:
    """This request's memo (a plain dict), or None outside a request."""
    return _memo.get()


def current_client_ip() -> str | None:
    return _client_ip.get()


def client_ip_from_request(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless the proxy in
    # front rewrites it, and an audit trail must not record a forged address.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(client_ip_from_request(request))
        memo_token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(memo_token)
            _client_ip.reset(token)
