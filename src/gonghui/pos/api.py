"""Terminal page API (/api/v1/pos/): what the POS page needs, for a terminal key or a cashier.

Authentication: ``Authorization: Terminal <key>`` (the code app's terminal key), or a signed-in
cashier (session cookie, CSRF header on writes) who names the terminal (``terminal_id``) and may
operate it: a merchant's cashier at its stores' terminals, or union staff holding ``pos.operate``
above the terminal's org (``codes.selectors.terminals_operable``: one rule for every door). This is
the one cashier API; the benefits app has no cashier endpoints of its own.

- ``GET terminals`` — the terminals a signed-in cashier may operate (session only);
- ``GET terminal`` — who the terminal is and where it stands;
- ``POST scan`` — the bill (yuan, up to two decimals: ``benefits.bill.bill_from_yuan``, refused
  with ``bill_invalid``) and the member's code, with an
  ``Idempotency-Key``: the code app's scan dispatch (``codes.services.scan_code``) with the
  payload ``{"bill_fen": …, "offer_id"?, "choose"?}``; a retry with the same key and body
  returns the first answer. With ``choose`` and no ``offer_id``, several offers that apply
  answer 409 ``offer_choice`` with the options best first (nothing redeemed, the code not used
  up); the page sends the same code again with the chosen ``offer_id``;
- ``GET today`` — the store's redemptions today, with totals (voids listed, not summed);
- ``GET history`` — redemptions over a range of local days (default 7, at most 92), paginated,
  at the stores of the terminal's merchant that the principal operates
  (``history.store_ids_operated``);
- ``POST void`` — void a redemption of today at this store (with a reason), with an
  ``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema
from ninja.security import APIKeyCookie

from gonghui.benefits import selectors as benefits_selectors
from gonghui.benefits import services as benefits_services
from gonghui.benefits.bill import bill_from_yuan
from gonghui.benefits.models import Offer, Redemption
from gonghui.codes import services as codes_services
from gonghui.codes.api import TerminalKey
from gonghui.codes.models import Terminal
from gonghui.core.apischema import Error
from gonghui.core.errors import Refused
from gonghui.core.idempotency import idempotency_key_check
from gonghui.core.identifiers import masked_name
from gonghui.core.timeutil import format_datetime, to_local

from .history import HISTORY_PAGE_SIZE, history_range, store_ids_operated
from .member_views import offer_summary
from .selectors import places, store_of, terminal_for_cashier, terminals_for_cashier

router = Router(tags=["pos"])


class CashierSession(APIKeyCookie):
    """A signed-in, active user (union staff or merchant staff); CSRF is checked on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


pos_auth = [TerminalKey(), CashierSession()]


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response


def _terminal(request: HttpRequest, terminal_id: int | None) -> Terminal:
    principal = request.auth  # type: ignore[attr-defined]
    if isinstance(principal, Terminal):
        return principal
    if terminal_id is None:
        raise Refused(
            code="required",
            message=_("Choose the terminal (terminal_id) when signed in as a cashier."),
            field="terminal_id",
        )
    terminal = terminal_for_cashier(principal, terminal_id)
    refusal = codes_services.terminal_refusal(terminal)
    if refusal is not None:
        raise refusal
    return terminal


# --- schemas ----------------------------------------------------------------------------------


class TerminalOut(Schema):
    id: int
    name: str
    kind: str
    org: str
    place: str
    takes_codes: bool


class ScanIn(Schema):
    code: str = Field(max_length=64, description="the member's 20 digits")
    bill: str = Field(max_length=20, description="the bill in yuan, e.g. 58.50")
    terminal_id: int | None = Field(default=None, description="only when signed in as a cashier")
    offer_id: int | None = Field(
        default=None, description="the offer the cashier chose (checked again by the server)"
    )
    choose: bool = Field(
        default=False,
        description="when several offers apply and no offer_id is given, answer 409 "
        "offer_choice with the options (best first) instead of redeeming",
    )


class VoidIn(Schema):
    redemption_id: int
    reason: str = Field(max_length=200)
    terminal_id: int | None = None


# --- endpoints --------------------------------------------------------------------------------


@router.get("/terminals", auth=CashierSession(), response={200: dict[str, Any], 401: Error})
def terminals(request: HttpRequest) -> JsonResponse:
    """The terminals the signed-in cashier may operate (``codes.selectors.terminals_operable``),
    with where each stands."""
    found = list(terminals_for_cashier(request.auth))  # type: ignore[attr-defined]
    where = places(found)
    body = {
        "terminals": [
            {
                "id": t.pk,
                "name": t.name,
                "kind": t.kind,
                "context_type": t.context_type,
                "place": where.get(t.pk, ""),
                "is_active": t.is_active,
            }
            for t in found
        ]
    }
    return _no_store(JsonResponse(body))


@router.get(
    "/terminal", auth=pos_auth, response={200: TerminalOut, 401: Error, 403: Error, 404: Error}
)
def terminal_whoami(request: HttpRequest, terminal_id: int | None = None) -> dict[str, Any]:
    """Who this terminal is and where it stands."""
    from gonghui.codes import dispatch

    terminal = _terminal(request, terminal_id)
    return {
        "id": terminal.pk,
        "name": terminal.name,
        "kind": terminal.kind,
        "org": terminal.org.name,
        "place": places([terminal]).get(terminal.pk, ""),
        "takes_codes": dispatch.handler_for(terminal.context_type) is not None,
    }


@router.post(
    "/scan",
    auth=pos_auth,
    response={
        200: dict[str, Any],
        400: Error,
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        413: Error,
        423: Error,
        429: Error,
    },
)
def scan(
    request: HttpRequest,
    data: ScanIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> JsonResponse:
    """The bill and the member's code: the code app's dispatch with ``{"bill_fen": …}``.
    A retry with the same Idempotency-Key and body returns the first answer and changes nothing."""
    terminal = _terminal(request, data.terminal_id)
    bill_fen = bill_from_yuan(data.bill, field="bill")  # benefits' one parser, one maximum
    payload: dict[str, Any] = {"bill_fen": bill_fen}
    if data.offer_id is not None:
        payload["offer_id"] = data.offer_id
    if data.choose:
        payload["choose"] = True
    result = codes_services.scan_code(
        terminal=terminal,
        code=data.code,
        payload=payload,
        idempotency_key=idempotency_key,
    )
    body = result.body
    if body.get("code") == "offer_choice":
        body = _with_wording(body)
    response = JsonResponse(body, status=result.status)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return _no_store(response)


def _with_wording(body: dict[str, Any]) -> dict[str, Any]:
    """The ``offer_choice`` options with what each gives in the page's words (「8折」) and its
    end in local time (read now, so a replay is worded in the reader's language)."""
    data = dict(body.get("data") or {})
    options = [dict(o) for o in data.get("offers", [])]
    offers = Offer.objects.in_bulk([o["id"] for o in options])
    for option in options:
        offer = offers.get(option["id"])
        option["summary"] = offer_summary(offer) if offer is not None else option["title"]
        until = offer.valid_until if offer is not None else None
        option["ends"] = format_datetime(until) if until is not None else ""
    data["offers"] = options
    return {**body, "data": data}


def _totals(t: benefits_selectors.DayTotals) -> dict[str, int]:
    """Voided redemptions are counted apart and left out of every sum."""
    return {
        "count": t.count,
        "voided": t.voided,
        "bill_fen": t.bill_fen,
        "discount_fen": t.discount_fen,
        "subsidy_fen": t.subsidy_fen,
        "pay_fen": t.pay_fen,
    }


def _row(r: Redemption) -> dict[str, Any]:
    return {
        "id": r.pk,
        "time": to_local(r.created_at).strftime("%H:%M:%S"),
        "offer": r.offer.title,
        "member": masked_name(r.member.name),
        "bill_fen": r.bill_fen,
        "discount_fen": r.discount_fen,
        "subsidy_fen": r.subsidy_fen,
        "pay_fen": r.pay_fen,
        "voided": r.status == Redemption.Status.VOIDED,
        "terminal_id": r.terminal_id,
    }


@router.get(
    "/today", auth=pos_auth, response={200: dict[str, Any], 401: Error, 403: Error, 404: Error}
)
def today(request: HttpRequest, terminal_id: int | None = None) -> JsonResponse:
    """The store's redemptions today (Asia/Shanghai), newest first (voided ones marked), and the
    totals of those not voided (``voided``: how many were)."""
    terminal = _terminal(request, terminal_id)
    store = store_of(terminal)
    rows = (
        [_row(r) for r in benefits_selectors.store_redemptions_today(store=store)]
        if store is not None
        else []
    )
    day = (
        benefits_selectors.store_totals_today(store=store)
        if store is not None
        else benefits_selectors.DayTotals(0, 0, 0, 0, 0, 0)
    )
    totals = _totals(day)
    last = next((r for r in rows if not r["voided"] and r["terminal_id"] == terminal.pk), None)
    body = {"items": rows, "totals": totals, "last_id": last["id"] if last else None}
    return _no_store(JsonResponse(body))


@router.post(
    "/void",
    auth=pos_auth,
    response={200: dict[str, Any], 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
)
def void(
    request: HttpRequest,
    data: VoidIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> JsonResponse:
    """Void a redemption made today at this terminal's store, with a reason
    (``benefits.services.redemption_void_at_terminal``: another store's is 404, an older one 409)."""
    terminal = _terminal(request, data.terminal_id)
    reason = data.reason.strip()
    if not reason:
        raise Refused(code="required", message=_("Give a reason for voiding."), field="reason")
    principal = request.auth  # type: ignore[attr-defined]
    voided = benefits_services.redemption_void_at_terminal(
        terminal=terminal,
        redemption_id=data.redemption_id,
        reason=reason,
        actor=None if isinstance(principal, Terminal) else principal,
        idempotency_key=idempotency_key_check(idempotency_key),
    )
    return _no_store(JsonResponse({"ok": True, "redemption": _row(voided)}))


@router.get(
    "/history",
    auth=pos_auth,
    response={200: dict[str, Any], 400: Error, 401: Error, 403: Error, 404: Error},
)
def history(
    request: HttpRequest,
    date_from: str | None = None,
    date_to: str | None = None,
    page: int = 1,
    terminal_id: int | None = None,
) -> JsonResponse:
    """Redemptions beyond today, newest first, at the stores of the terminal's merchant that the
    principal operates (a terminal key: its store; a cashier: the stores of the merchant that
    employs them, as ``terminals_operable`` says; a terminal out of reach: 404). ``date_from``/``date_to``: local days (ISO), by default the
    last 7 days, at most 92 (``date_invalid`` / ``range_too_long``, 400). 50 a page; the totals
    cover the whole range, voided ones left out."""
    terminal = _terminal(request, terminal_id)
    start, end = history_range(date_from, date_to)
    qs = benefits_selectors.redemptions_in_range(
        store_ids=store_ids_operated(request.auth, terminal),  # type: ignore[attr-defined]
        date_from=start,
        date_to=end,
    )
    pages = Paginator(qs, HISTORY_PAGE_SIZE)
    current = pages.get_page(page)
    body = {
        "date_from": start.isoformat(),
        "date_to": end.isoformat(),
        "page": current.number,
        "pages": pages.num_pages,
        "items": [
            {
                **_row(r),
                "date": r.local_date.isoformat(),
                "store": r.store.name,
            }
            for r in current.object_list
        ],
        "totals": _totals(benefits_selectors.redemption_totals(qs.order_by())),
    }
    return _no_store(JsonResponse(body))
