"""What an offer takes off a bill, and the periods its per-member limits count in.

Pure computation: no database, no eligibility, stock or limit checks. Money is integer fen;
percentages round half up (``core.money.percent_of``), in the member's favour. Used by the
redemption (``services.redeem``) and by the reads (``selectors``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from gonghui.core.money import format_fen, percent_of
from gonghui.members.models import Member

from .bill import bill_check
from .models import Offer, OfferKind, Payer, UsagePeriod

#: The key of each period in a "remaining" answer (``member_today``, ``member_week``...).
PERIOD_NAMES = {UsagePeriod.DAY: "today", UsagePeriod.WEEK: "week", UsagePeriod.MONTH: "month"}
#: The periods in the order they are counted (and their counters locked).
PERIODS = (UsagePeriod.DAY, UsagePeriod.WEEK, UsagePeriod.MONTH)


def period_starts(day: dt.date) -> dict[str, dt.date]:
    """The start of the day, ISO week (Monday) and month that contain ``day``."""
    return {
        UsagePeriod.DAY: day,
        UsagePeriod.WEEK: day - dt.timedelta(days=day.weekday()),
        UsagePeriod.MONTH: day.replace(day=1),
    }


def offer_limits(offer: Offer) -> dict[str, int]:
    """The offer's per-member limits by period (only those that are set)."""
    limits = {
        UsagePeriod.DAY: offer.limit_per_day,
        UsagePeriod.WEEK: offer.limit_per_week,
        UsagePeriod.MONTH: offer.limit_per_month,
    }
    return {period: n for period, n in limits.items() if n is not None}


@dataclass(frozen=True)
class Quote:
    discount_fen: int
    subsidy_fen: int
    pay_fen: int
    explanation: str


def offer_quote(*, offer: Offer, member: Member | None, bill_fen: int, at: Any = None) -> Quote:
    """What ``offer`` takes off ``bill_fen``, who pays it and what the member pays.

    Pure computation (no eligibility, stock or limit checks): integer fen, percentages rounded
    half up (in the member's favour), ceilings applied to the rounded figure; a discount is
    never more than the bill. A bill below what the offer needs gives a zero discount."""
    bill = bill_check(bill_fen)
    discount = 0
    if offer.kind == OfferKind.PERCENT:
        bp = offer.percent_bp or 0
        discount = percent_of(bill, bp)
        why = _("%(pct)s off") % {"pct": f"{bp / 100:g}%"}
        if offer.max_subsidy_fen is not None and discount > offer.max_subsidy_fen:
            discount = offer.max_subsidy_fen
            why += _(", at most %(cap)s") % {"cap": format_fen(offer.max_subsidy_fen)}
    elif offer.kind == OfferKind.FIXED_THRESHOLD:
        threshold, off = offer.threshold_fen or 0, offer.amount_off_fen or 0
        why = _("%(off)s off from %(threshold)s") % {
            "off": format_fen(off),
            "threshold": format_fen(threshold),
        }
        if bill >= threshold:
            discount = off
        else:
            why += _(" (the bill is below the threshold)")
    elif offer.kind == OfferKind.FREE_ITEM:
        price = offer.list_price_fen or 0
        why = _("%(item)s free") % {"item": offer.item_name or offer.title}
        if bill >= price:
            discount = price
        else:
            why += _(" (the bill does not cover the item)")
    elif offer.kind == OfferKind.MEMBER_PRICE:
        price, member_price = offer.list_price_fen or 0, offer.member_price_fen or 0
        why = _("%(item)s at the member price %(price)s instead of %(list)s") % {
            "item": offer.item_name or offer.title,
            "price": format_fen(member_price),
            "list": format_fen(price),
        }
        if bill >= price:
            discount = max(price - member_price, 0)
        else:
            why += _(" (the bill does not cover the item)")
    else:  # pragma: no cover - choices are closed
        why = ""
    discount = max(0, min(discount, bill))
    subsidy = discount if offer.payer == Payer.UNION else 0
    payer = _("paid by the union") if subsidy else _("the merchant's own discount")
    return Quote(
        discount_fen=discount,
        subsidy_fen=subsidy,
        pay_fen=bill - discount,
        explanation=f"{why}; {payer}" if discount else why,
    )
