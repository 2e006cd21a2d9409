"""Security headers that Django does not set by itself, including a Content-Security-Policy."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Pages load scripts and styles from our own static files only. The admin theme (unfold) uses
# Alpine.js, which needs 'unsafe-eval' and inline styles, so /admin/ gets a wider policy.
CSP_DEFAULT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; worker-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
CSP_ADMIN = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = CSP_ADMIN if request.path.startswith("/admin/") else CSP_DEFAULT
            response["Content-Security-Policy"] = policy
        response.setdefault(
            "Permissions-Policy", "camera=(self), geolocation=(self), microphone=()"
        )
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class ForwardedForMiddleware:
    """Behind reverse proxies, take the client's address from X-Forwarded-For.

    gunicorn sets REMOTE_ADDR to its peer, i.e. the proxy. With ``GONGHUI_TRUSTED_PROXIES = N``
    (the number of proxies in front of the app that append to X-Forwarded-For, e.g. 1 for one
    nginx with ``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for``), REMOTE_ADDR
    becomes the N-th address from the right: the one the outermost trusted proxy saw. Addresses
    further left were written by the client and are never trusted. With 0 (the default) the
    header is ignored. Rate limits, lockouts and the audit log all read REMOTE_ADDR."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        trusted = int(settings.GONGHUI_TRUSTED_PROXIES or 0)
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if trusted > 0 and header:
            hops = [part.strip() for part in header.split(",") if part.strip()]
            if len(hops) >= trusted:
                candidate = hops[-trusted]
                try:
                    ipaddress.ip_address(candidate)
                except ValueError:
                    pass
                else:
                    request.META["REMOTE_ADDR"] = candidate
        return self.get_response(request)
