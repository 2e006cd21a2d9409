"""Styled, translated error pages (403, 404, 405, 500) for the member H5 and the console.

``urls.py`` names these as ``handler403/404/500`` and ``CSRF_FAILURE_VIEW``; 405s come from
``require_POST`` and friends with an empty body, which ``ErrorPageMiddleware`` replaces with the
page for HTML requests. Console paths (``/admin/``) get the console's layout, API paths a JSON
body in the API's error shape, everything else the H5 layout."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

CONSOLE_PREFIX = "/admin/"
API_PREFIX = "/api/"


def _texts(status: int) -> tuple[str, str, str]:
    """(code, title, message) of a status, translated in the request's language."""
    if status == 403:
        return (
            "forbidden",
            _("You cannot open this page"),
            _(
                "You do not have permission for this page, or the form expired. Go back and try again."
            ),
        )
    if status == 404:
        return (
            "not_found",
            _("Page not found"),
            _("The page does not exist or is no longer available."),
        )
    if status == 405:
        return (
            "method_not_allowed",
            _("This page cannot be opened this way"),
            _("This address only accepts a form sent from its page. Open it from the menu."),
        )
    return (
        "server_error",
        _("Something went wrong"),
        _("The error was recorded. Please try again in a moment."),
    )


def _console_context(request: HttpRequest) -> dict[str, Any]:
    from django.contrib import admin

    try:
        return dict(admin.site.each_context(request))
    except Exception:  # a 500 page must render even when the console's context cannot
        logger.exception("console context for an error page")
        return {}


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    code, title, message = _texts(status)
    path = request.path
    if path.startswith(API_PREFIX):
        body = json.dumps({"code": code, "message": message, "field": None}, ensure_ascii=False)
        return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    context: dict[str, Any] = {"status": status, "title": title, "message": message}
    if path.startswith(CONSOLE_PREFIX):
        template = "errors/console.html"
        context = {**_console_context(request), **context, "home_url": "/admin/"}
    else:
        template = "errors/h5.html"
        context["home_url"] = "/pos/" if path.startswith("/pos/") else "/m/"
    try:
        html: str = render_to_string(template, context, request=request)
    except Exception:  # never fail while failing: a plain, still translated page
        logger.exception("error page template")
        html = (
            f'<!DOCTYPE html><html lang="zh-hans"><meta charset="utf-8"><title>{title}</title>'
            f'<h1>{title}</h1><p>{message}</p><p><a href="/m/">{_("Home")}</a></p></html>'
        )
    return HttpResponse(html, status=status)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(request, 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)


class ErrorPageMiddleware:
    """Give an empty 405 (``require_POST``, ``require_GET``) the error page, keeping ``Allow``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not getattr(response, "streaming", False)
            and not response.content
            and not request.path.startswith(API_PREFIX)
        ):
            page = error_page(request, 405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response
