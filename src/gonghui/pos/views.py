"""The terminal page /pos/: a cashier's checkout in the browser of a tablet or a phone.

The page is one HTML shell and one script (static/pos/pos.js): it signs in with a terminal key
kept in the browser, or with a cashier's account and a terminal picked from a list; it talks to
``/api/v1/pos/`` (see api.py), which goes through the code app's scan dispatch."""

from __future__ import annotations

from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.benefits.bill import MAX_BILL_FEN

from .forms import CashierLoginForm
from .selectors import places, terminals_for_cashier


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
@ensure_csrf_cookie
def pos_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    cashier = user if user.is_authenticated and user.is_active else None
    terminals = list(terminals_for_cashier(user)) if cashier else []
    where = places(terminals)
    context = {
        "cashier": cashier,
        "max_bill_fen": MAX_BILL_FEN,  # the page checks what the server checks
        "terminals": [
            {"id": t.pk, "name": t.name, "place": where.get(t.pk, "")} for t in terminals
        ],
    }
    return _private(render(request, "pos/pos.html", context))


@require_http_methods(["GET", "POST"])
@ensure_csrf_cookie
def pos_login(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CashierLoginForm(request, data=request.POST)
        if form.is_valid():
            auth_login(request, form.get_user())
            return HttpResponseRedirect(reverse("pos:page"))
    else:
        form = CashierLoginForm(request)
    status = 400 if form.is_bound else 200
    return _private(render(request, "pos/login.html", {"form": form}, status=status))


@require_POST
def pos_logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return HttpResponseRedirect(reverse("pos:page"))
