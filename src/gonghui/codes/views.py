"""Member H5 pages of the code: "My code" (/m/code/), its service worker, and the reverse-scan page.

The code page works offline once loaded: its service worker (served from /m/code/sw.js, so its
scope is /m/code/) keeps the page and its assets; the credential lives in the browser
(IndexedDB, as a non-extractable Web Crypto key) and codes are derived on the phone."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from gonghui.core.errors import Refused
from gonghui.members.session import member_required

from . import protocol, services

# Static files that the code page needs offline (besides whatever the H5 base page loads, which
# the service worker caches as the page fetches it).
OFFLINE_ASSETS = [
    "codes/generator.js",
    "codes/code_page.js",
    "codes/code.css",
    "vendor/qrcode.js",
    "vendor/JsBarcode.code128.min.js",
]


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
@member_required
@ensure_csrf_cookie
def code_page(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    context = {
        "member": member,
        "step_seconds": protocol.STEP_SECONDS,
        "member_ref": hashlib.sha256(f"gonghui-member:{member.pk}".encode()).hexdigest()[:16],
    }
    return _private(render(request, "codes/code_page.html", context))


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker script, rendered with the URLs of the assets it keeps for offline use."""
    assets = [static(path) for path in OFFLINE_ASSETS]
    body: str = render_to_string(
        "codes/sw.js", {"assets": assets, "page": request.path.rsplit("/", 1)[0] + "/"}
    )
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    body = str(body).replace("__VERSION__", version)
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = request.path.rsplit("/", 1)[0] + "/"
    return response


@require_GET
@member_required
@ensure_csrf_cookie
def poster_scan(request: HttpRequest) -> HttpResponse:
    """Opened from a terminal's poster QR: shows where the member is and a button to submit."""
    token = request.GET.get("t", "")
    terminal = None
    error = None
    try:
        terminal = services.poster_terminal(token)
        refusal = services.terminal_refusal(terminal)
        if refusal is not None:
            raise refusal
    except Refused as exc:
        terminal, error = None, exc.message
    context = {"terminal": terminal, "token": token, "error": error}
    return _private(
        render(request, "codes/poster_scan.html", context, status=200 if error is None else 400)
    )
