"""Benefits API (/api/v1/benefits/).

- Members (session cookie): ``GET offers`` (with what is left to me), ``GET redemptions``.
- Cashiers use the one cashier API, ``/api/v1/pos/`` (terminals, scan, today, void): see
  ``pos/api.py`` and docs/pos.md.
- Staff (org-scoped, ``benefits.view`` / ``benefits.void``): ``GET staff/redemptions``,
  ``POST staff/redemptions/{id}/void`` (Idempotency-Key), ``GET staff/settlements``,
  ``GET staff/settlements/{id}/statement.xlsx``.

Redemptions themselves are created by scanning: ``POST /api/v1/codes/scan`` at a terminal whose
context is ``benefits.store`` with payload ``{"bill_fen": int, "offer_id": int | null}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema

from gonghui.core.apiauth import staff_auth
from gonghui.core.apischema import Error
from gonghui.core.errors import Refused
from gonghui.core.idempotency import idempotency_key_check
from gonghui.core.identifiers import masked_name
from gonghui.core.timeutil import to_local
from gonghui.members.apiauth import member_auth

from . import selectors, services
from .models import Redemption, Settlement

router = Router(tags=["benefits"])


class VoidIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


def _redemption_out(red: Redemption, *, with_member: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": red.pk,
        "offer": {"id": red.offer_id, "title": red.offer.title, "kind": red.offer.kind},
        "store": {"id": red.store_id, "name": red.store.name},
        "bill_fen": red.bill_fen,
        "discount_fen": red.discount_fen,
        "subsidy_fen": red.subsidy_fen,
        "pay_fen": red.pay_fen,
        "status": red.status,
        "created_at": to_local(red.created_at).isoformat(),
        "voided_at": to_local(red.voided_at).isoformat() if red.voided_at else None,
        "void_reason": red.void_reason,
    }
    if with_member:
        out["member"] = {
            "name": masked_name(red.member.name),
            "member_no": red.member.member_no,
        }
    return out


# --- members ---------------------------------------------------------------------------------
@router.get("/offers", auth=member_auth, response={200: list[dict[str, Any]], 401: Error})
def member_offers(request: HttpRequest, region_code: str | None = None) -> list[dict[str, Any]]:
    """Offers the signed-in member may use, with what is left to them (stock, per-period uses)."""
    member = request.auth  # type: ignore[attr-defined]
    if region_code is not None and (not region_code.isdigit() or len(region_code) > 6):
        raise Refused(
            code="invalid", message=_("A region code is up to 6 digits."), field="region_code"
        )
    out = []
    for offer, left in selectors.offers_for_member(member=member, region_code=region_code):
        out.append(
            {
                "id": offer.pk,
                "title": offer.title,
                "description": offer.description,
                "kind": offer.kind,
                "kind_label": str(offer.get_kind_display()),
                "payer": offer.payer,
                "merchant": {"id": offer.merchant_id, "name": offer.merchant.name},
                "stores": [
                    {"id": s.pk, "name": s.name, "address": s.address, "region_code": s.region_code}
                    for s in selectors.offer_stores(offer)[:20]
                ],
                "percent_bp": offer.percent_bp,
                "max_subsidy_fen": offer.max_subsidy_fen,
                "threshold_fen": offer.threshold_fen,
                "amount_off_fen": offer.amount_off_fen,
                "list_price_fen": offer.list_price_fen,
                "member_price_fen": offer.member_price_fen,
                "item_name": offer.item_name,
                "valid_until": to_local(offer.valid_until).isoformat()
                if offer.valid_until
                else None,
                "limits": {
                    "day": offer.limit_per_day,
                    "week": offer.limit_per_week,
                    "month": offer.limit_per_month,
                },
                "remaining": left,
            }
        )
    return out


@router.get("/redemptions", auth=member_auth, response={200: list[dict[str, Any]], 401: Error})
def member_redemptions(request: HttpRequest, limit: int = 50) -> list[dict[str, Any]]:
    """The signed-in member's redemptions, newest first."""
    member = request.auth  # type: ignore[attr-defined]
    return [
        _redemption_out(r, with_member=False)
        for r in selectors.member_redemptions(member=member, limit=limit)
    ]


# --- staff -----------------------------------------------------------------------------------
@router.get("/staff/redemptions", auth=staff_auth, response={200: dict[str, Any], 401: Error})
def staff_redemptions(
    request: HttpRequest,
    merchant_id: int | None = None,
    status: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """Redemptions in the staff user's scope (by the merchant's managing union)."""
    qs = selectors.redemptions_visible(user=request.auth)  # type: ignore[attr-defined]
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    if status:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(local_date__gte=date_from)
    if date_to:
        qs = qs.filter(local_date__lte=date_to)
    offset, limit = max(offset, 0), max(1, min(limit, 200))
    return {
        "count": qs.count(),
        "items": [
            _redemption_out(r) for r in qs.order_by("-created_at", "-pk")[offset : offset + limit]
        ],
    }


@router.post(
    "/staff/redemptions/{redemption_id}/void",
    auth=staff_auth,
    response={200: dict[str, Any], 400: Error, 401: Error, 404: Error, 409: Error, 422: Any},
)
def staff_void(
    request: HttpRequest,
    redemption_id: int,
    data: VoidIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> dict[str, Any]:
    """Void a redemption (refund): everything it took is given back. Audited."""
    key = idempotency_key_check(idempotency_key)
    user = request.auth  # type: ignore[attr-defined]
    red = selectors.get_visible(
        selectors.redemptions_visible(user=user, capability="benefits.void"), redemption_id
    )
    voided = services.redemption_void(
        redemption=red, actor=user, reason=data.reason, idempotency_key=key
    )
    return _redemption_out(voided)


def _settlement_out(s: Settlement) -> dict[str, Any]:
    return {
        "id": s.pk,
        "merchant": {"id": s.merchant_id, "name": s.merchant.name},
        "period_start": s.period_start.isoformat(),
        "period_end": s.period_end.isoformat(),
        "count": s.count,
        "total_subsidy_fen": s.total_subsidy_fen,
        "status": s.status,
        "paid_at": to_local(s.paid_at).isoformat() if s.paid_at else None,
    }


@router.get("/staff/settlements", auth=staff_auth, response={200: list[dict[str, Any]], 401: Error})
def staff_settlements(
    request: HttpRequest, merchant_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    qs = selectors.settlements_visible(user=request.auth)  # type: ignore[attr-defined]
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    return [_settlement_out(s) for s in qs[: max(1, min(limit, 500))]]


@router.get(
    "/staff/settlements/{settlement_id}/statement.xlsx",
    auth=staff_auth,
    response={200: Any, 401: Error, 404: Error},
)
def staff_statement(request: HttpRequest, settlement_id: int) -> HttpResponse:
    settlement = selectors.get_visible(
        selectors.settlements_visible(user=request.auth),  # type: ignore[attr-defined]
        settlement_id,
    )
    response = HttpResponse(
        services.settlement_statement_xlsx(settlement),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="settlement-{settlement.pk}-{settlement.period_end}.xlsx"'
    )
    response["Cache-Control"] = "no-store"
    return response
