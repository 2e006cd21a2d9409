"""Security headers that Django does not set by itself, including a Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable

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
        response.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
