"""The terminal page /pos/: a cashier's checkout in the browser of a tablet or a phone.

The page is one HTML shell and one script (static/pos/pos.js): it signs in with a terminal key
kept in the browser, or with a cashier's account and a terminal picked from a list; it talks to
``/api/v1/pos/`` (see api.py), which goes through the code app's scan dispatch."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.benefits import selectors as benefits_selectors
from gonghui.benefits.bill import MAX_BILL_FEN
from gonghui.benefits.models import Redemption
from gonghui.codes.models import Terminal
from gonghui.core.errors import NotFound, Refused
from gonghui.core.identifiers import masked_name
from gonghui.core.money import format_fen
from gonghui.core.timeutil import format_date, format_datetime, now, to_local

from .forms import CashierLoginForm
from .history import HISTORY_PAGE_SIZE, history_range, shift_start, store_ids_operated
from .selectors import places, store_of, terminal_for_cashier, terminals_for_cashier


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


def _cashier(request: HttpRequest) -> Any:
    user = request.user
    return user if user.is_authenticated and user.is_active else None


def _terminal_or_404(cashier: Any, request: HttpRequest) -> Terminal:
    """The terminal named by ``?terminal_id=``, through the one front door; else 404."""
    raw = request.GET.get("terminal_id", "")
    if not raw.isdigit():
        raise Http404
    try:
        return terminal_for_cashier(cashier, int(raw))
    except NotFound:
        raise Http404 from None


def _line(r: Redemption, *, with_date: bool = False) -> dict[str, Any]:
    """A redemption as the printed and paged lists show it (local time, member masked)."""
    local = to_local(r.created_at)
    return {
        "id": r.pk,
        "when": format_datetime(r.created_at) if with_date else f"{local:%H:%M:%S}",
        "store": r.store.name if with_date else "",
        "offer": r.offer.title,
        "member": masked_name(r.member.name),
        "bill": format_fen(r.bill_fen),
        "discount": format_fen(r.discount_fen),
        "subsidy": format_fen(r.subsidy_fen),
        "pay": format_fen(r.pay_fen),
        "voided": r.status == Redemption.Status.VOIDED,
    }


def _money(t: benefits_selectors.DayTotals) -> dict[str, Any]:
    return {
        "count": t.count,
        "voided": t.voided,
        "bill": format_fen(t.bill_fen),
        "discount": format_fen(t.discount_fen),
        "subsidy": format_fen(t.subsidy_fen),
        "pay": format_fen(t.pay_fen),
    }


@require_GET
def pos_shift(request: HttpRequest) -> HttpResponse:
    """「打印交班单」: the signed-in cashier's shift at the chosen terminal's store, to print.

    The shift runs from the cashier's sign-in today (``history.shift_start``; the start of the
    day if they signed in earlier) to now; it lists the store's redemptions in that time, voided
    ones marked and left out of the totals. A terminal out of reach is 404."""
    cashier = _cashier(request)
    if cashier is None:
        return HttpResponseRedirect(reverse("pos:login"))
    terminal = _terminal_or_404(cashier, request)
    store = store_of(terminal)
    if store is None:
        raise Http404
    printed = now()
    start = shift_start(cashier, at=printed)
    rows, totals = benefits_selectors.store_redemptions_since(store=store, since=start)
    context = {
        "cashier_name": cashier.get_full_name() or cashier.get_username(),
        "store": store,
        "terminal": terminal,
        "start": format_datetime(start),
        "end": format_datetime(printed),
        "rows": [_line(r) for r in rows],
        "totals": _money(totals),
    }
    return _private(render(request, "pos/shift.html", context))


@require_GET
def pos_history(request: HttpRequest) -> HttpResponse:
    """Redemptions over a range of local days (default the last 7, at most 92), 50 a page, at
    the stores of the chosen terminal's merchant that the signed-in cashier operates
    (``history.store_ids_operated``); a terminal out of reach is 404."""
    cashier = _cashier(request)
    if cashier is None:
        return HttpResponseRedirect(reverse("pos:login"))
    terminal = _terminal_or_404(cashier, request)
    date_from, date_to = request.GET.get("date_from"), request.GET.get("date_to")
    error = None
    try:
        start, end = history_range(date_from, date_to)
    except Refused as exc:
        error = exc
        start, end = history_range(None, None)
    qs = benefits_selectors.redemptions_in_range(
        store_ids=store_ids_operated(cashier, terminal), date_from=start, date_to=end
    )
    page = Paginator(qs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "error": error,
        "date_from": date_from if error else start.isoformat(),
        "date_to": date_to if error else end.isoformat(),
        "period": f"{format_date(start)} – {format_date(end)}",
        "page": page,
        "rows": [_line(r, with_date=True) for r in page.object_list],
        "totals": _money(benefits_selectors.redemption_totals(qs.order_by())),
        "terminal": terminal,
        "query": (
            f"terminal_id={terminal.pk}&date_from={start.isoformat()}&date_to={end.isoformat()}"
        ),
    }
    status = 400 if error else 200
    return _private(render(request, "pos/history.html", context, status=status))
