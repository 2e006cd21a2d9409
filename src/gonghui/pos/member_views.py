"""The member's offer pages on the H5: offers near me (/m/offers/) and my discounts
(/m/offers/redemptions/). Reads only, through the benefits app's selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gonghui.benefits.models import Offer, OfferKind, Store
from gonghui.benefits.selectors import member_redemptions, offer_stores, offers_for_member
from gonghui.core.money import format_fen
from gonghui.core.timeutil import to_local
from gonghui.members.session import member_required
from gonghui.orgs.models import Org

ALL = "all"
KEYWORD_MAX = 50


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-cache"
    return response


def percent_off_text(percent_bp: int) -> str:
    """A percentage off as people of the language say it: 「9折」 (the part paid, in tenths) in
    Chinese, as offer titles and shop signs do; "10% off" in English."""
    if get_language().lower().startswith("zh"):
        return f"{(10_000 - percent_bp) / 1_000:g}折"
    return _("%(pct)s off") % {"pct": f"{percent_bp / 100:g}%"}


def offer_summary(offer: Offer) -> str:
    """One plain line saying what the offer gives."""
    if offer.kind == OfferKind.PERCENT and offer.percent_bp is not None:
        rate = percent_off_text(offer.percent_bp)
        if offer.max_subsidy_fen:
            return _("%(rate)s, at most %(max)s") % {
                "rate": rate,
                "max": format_fen(offer.max_subsidy_fen),
            }
        return rate
    if offer.kind == OfferKind.FIXED_THRESHOLD and offer.amount_off_fen is not None:
        return _("%(off)s off a bill of %(min)s or more") % {
            "off": format_fen(offer.amount_off_fen),
            "min": format_fen(offer.threshold_fen or 0),
        }
    if offer.kind == OfferKind.FREE_ITEM:
        return _("Free: %(item)s") % {"item": offer.item_name or offer.title}
    if offer.kind == OfferKind.MEMBER_PRICE and offer.member_price_fen is not None:
        return _("Member price %(price)s (list price %(list)s)") % {
            "price": format_fen(offer.member_price_fen),
            "list": format_fen(offer.list_price_fen or 0),
        }
    return str(offer.get_kind_display())


def region_choices() -> list[tuple[str, str]]:
    """(region code, name) of the regions where active stores are, named after the highest
    union org of that region (a district federation names its district)."""
    codes = sorted(
        set(
            Store.objects.filter(is_active=True, merchant__is_active=True)
            .exclude(region_code="")
            .values_list("region_code", flat=True)
        )
    )
    names: dict[str, str] = {}
    for code, name in (
        Org.objects.filter(region_code__in=codes, is_active=True)
        .order_by("depth", "path")
        .values_list("region_code", "name")
    ):
        names.setdefault(code, name)
    return [(code, names.get(code, code)) for code in codes]


@require_GET
@member_required
def offers(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    home_region = member.org.region_code or ""
    choices = region_choices()
    region = request.GET.get("region", home_region or ALL)
    valid = {code for code, _name in choices} | {ALL, home_region}
    if region not in valid:
        region = home_region or ALL
    q = request.GET.get("q", "").strip()[:KEYWORD_MAX]
    rows: list[dict[str, Any]] = []
    for offer, left in offers_for_member(
        member=member, region_code=None if region == ALL else region, query=q
    ):
        stores = list(offer_stores(offer)[:5])
        rows.append(
            {
                "offer": offer,
                "summary": offer_summary(offer),
                "merchant": offer.merchant.name,
                "stores": stores,
                "stock": left.get("stock"),
                "today": left.get("member_today"),
                "week": left.get("member_week"),
                "month": left.get("member_month"),
                "available": bool(left.get("available_now")),
            }
        )
    if home_region and home_region not in {code for code, _name in choices}:
        choices = [(home_region, member.org.name), *choices]
    context = {
        "rows": rows,
        "region": region,
        "home_region": home_region,
        "choices": choices,
        "all": ALL,
        "q": q,
    }
    return _private(render(request, "pos/h5/offers.html", context))


@require_GET
@member_required
def redemptions(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    rows = [
        {
            "id": r.pk,
            "offer": r.offer.title,
            "store": str(r.store),
            "bill": format_fen(r.bill_fen),
            "discount": format_fen(r.discount_fen),
            "paid": format_fen(r.pay_fen),
            "at": to_local(r.created_at),
            "voided": r.status == r.Status.VOIDED,
            "void_reason": r.void_reason,
        }
        for r in member_redemptions(member=member, limit=100)
    ]
    return _private(render(request, "pos/h5/redemptions.html", {"rows": rows}))
