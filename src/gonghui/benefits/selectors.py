"""Reads of merchant benefits: offers for a member, redemptions, budget figures, staff scopes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from gonghui.core.errors import NotFound
from gonghui.core.timeutil import SHANGHAI, local_today, now
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import scope

from .eligibility import offer_refusal
from .models import (
    MemberOfferUsage,
    Merchant,
    MerchantStaff,
    Offer,
    Redemption,
    Settlement,
    Store,
    UsagePeriod,
)
from .pricing import PERIOD_NAMES, PERIODS, offer_limits, period_starts

VIEW = "benefits.view"


# --- members ---------------------------------------------------------------------------------
def remaining_for(*, offer: Offer, member: Member, day: dt.date | None = None) -> dict[str, Any]:
    """What is left of ``offer``: its stock and, per limit, what ``member`` may still use."""
    day = day or local_today()
    starts = period_starts(day)
    limits = offer_limits(offer)
    counts = dict(
        MemberOfferUsage.objects.filter(
            member=member,
            offer=offer,
            period__in=list(limits),
        )
        .filter(
            Q(period=UsagePeriod.DAY, period_start=starts[UsagePeriod.DAY])
            | Q(period=UsagePeriod.WEEK, period_start=starts[UsagePeriod.WEEK])
            | Q(period=UsagePeriod.MONTH, period_start=starts[UsagePeriod.MONTH])
        )
        .values_list("period", "count")
    )
    stock = (
        Offer.objects.values_list("stock_left", flat=True).get(pk=offer.pk)
        if offer.stock_total is not None
        else None
    )
    out: dict[str, Any] = {"stock": stock}
    for period in PERIODS:
        key = f"member_{PERIOD_NAMES[period]}"
        out[key] = max(limits[period] - counts.get(period, 0), 0) if period in limits else None
    return out


def offers_for_member(
    *,
    member: Member,
    region_code: str | None = None,
    query: str = "",
    at: dt.datetime | None = None,
) -> list[tuple[Offer, dict[str, Any]]]:
    """Active offers that ``member`` may use now (eligible, in their window, stock left), with
    what is left to this member (``remaining_for``) and the stores; optionally only
    those with a store in ``region_code`` (a 6-digit code, or a prefix such as "3310") and
    those whose title or merchant name contains ``query``."""
    at = at or now()
    qs = (
        Offer.objects.select_related("merchant", "org", "budget")
        .filter(is_active=True, merchant__is_active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        .order_by("merchant__name", "pk")
    )
    if query.strip():
        q = query.strip()
        qs = qs.filter(Q(title__icontains=q) | Q(merchant__name__icontains=q))
    if region_code:
        region = region_code.strip()[:6]
        in_region = Store.objects.filter(is_active=True, region_code__startswith=region)
        qs = qs.filter(
            Q(all_stores=True, merchant__stores__in=in_region) | Q(stores__in=in_region)
        ).distinct()
    day = at.astimezone(SHANGHAI).date()
    out: list[tuple[Offer, dict[str, Any]]] = []
    for offer in qs:
        refusal = offer_refusal(offer=offer, member=member, at=at)
        if refusal is not None and refusal.code == "not_eligible":
            continue
        left = remaining_for(offer=offer, member=member, day=day)
        left["available_now"] = refusal is None
        left["budget_left_fen"] = offer.budget.left_fen if offer.budget else None
        out.append((offer, left))
    return out


def offer_stores(offer: Offer) -> QuerySet[Store]:
    if offer.all_stores:
        return Store.objects.filter(merchant_id=offer.merchant_id, is_active=True)
    return offer.stores.filter(is_active=True)


def member_redemptions(*, member: Member, limit: int = 50) -> list[Redemption]:
    return list(
        Redemption.objects.filter(member=member)
        .select_related("offer", "store", "store__merchant")
        .order_by("-created_at", "-pk")[: max(1, min(limit, 200))]
    )


# --- cashiers --------------------------------------------------------------------------------
def cashier_merchants(user: Any) -> QuerySet[Merchant]:
    """Merchants whose staff ``user`` is (an active staff user)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Merchant.objects.none()
    return Merchant.objects.filter(staff__user=user, is_active=True)


def cashier_stores(user: Any) -> QuerySet[Store]:
    return Store.objects.filter(merchant__in=cashier_merchants(user)).select_related("merchant")


def cashier_terminals_q(user: Any) -> Q:
    """The terminals a merchant's cashier operates: those of the active stores of the active
    merchants that employ them (registered as an operator in ``codes.dispatch``)."""
    ids = [
        str(pk) for pk in cashier_stores(user).filter(is_active=True).values_list("pk", flat=True)
    ]
    if not ids:
        return Q(pk__in=[])
    return Q(context_type="benefits.store", context_id__in=ids)


def is_cashier(user: Any) -> bool:
    return MerchantStaff.objects.filter(user=user, merchant__is_active=True).exists()


def store_redemptions_today(*, store: Store, limit: int = 200) -> list[Redemption]:
    return list(
        Redemption.objects.filter(store=store, local_date=local_today())
        .select_related("offer", "member")
        .order_by("-created_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class DayTotals:
    """Totals of the redemptions not voided (``count`` of them; ``voided``: how many were)."""

    count: int
    voided: int
    bill_fen: int
    discount_fen: int
    subsidy_fen: int
    pay_fen: int = 0


def redemption_totals(qs: QuerySet[Redemption]) -> DayTotals:
    """Count and sums of ``qs`` without its voided redemptions (counted apart): one query."""
    active = Q(status=Redemption.Status.ACTIVE)
    agg = qs.aggregate(
        n=Count("pk", filter=active),
        voided=Count("pk", filter=Q(status=Redemption.Status.VOIDED)),
        bill=Coalesce(Sum("bill_fen", filter=active), 0),
        discount=Coalesce(Sum("discount_fen", filter=active), 0),
        subsidy=Coalesce(Sum("subsidy_fen", filter=active), 0),
        pay=Coalesce(Sum("pay_fen", filter=active), 0),
    )
    return DayTotals(
        count=int(agg["n"]),
        voided=int(agg["voided"]),
        bill_fen=int(agg["bill"]),
        discount_fen=int(agg["discount"]),
        subsidy_fen=int(agg["subsidy"]),
        pay_fen=int(agg["pay"]),
    )


def store_totals_today(*, store: Store) -> DayTotals:
    return redemption_totals(Redemption.objects.filter(store=store, local_date=local_today()))


def store_redemptions_since(
    *, store: Store, since: dt.datetime, limit: int = 1000
) -> tuple[list[Redemption], DayTotals]:
    """The store's redemptions of today (local day) made at or after ``since``, oldest first,
    with their totals (voided ones listed, left out of the sums): a cashier's shift."""
    qs = Redemption.objects.filter(store=store, local_date=local_today(), created_at__gte=since)
    rows = list(qs.select_related("offer", "member").order_by("created_at", "pk")[:limit])
    return rows, redemption_totals(qs)


def redemptions_in_range(
    *, store_ids: list[int], date_from: dt.date, date_to: dt.date
) -> QuerySet[Redemption]:
    """The redemptions of these stores on local days ``date_from`` to ``date_to`` (both
    included), newest first. The caller decides which stores (``pos``: those the principal
    operates); this read never widens them."""
    return (
        Redemption.objects.filter(
            store_id__in=store_ids, local_date__gte=date_from, local_date__lte=date_to
        )
        .select_related("offer", "member", "store")
        .order_by("-created_at", "-pk")
    )


# --- staff (org-scoped) ----------------------------------------------------------------------
def merchants_visible(*, user: Any, capability: str = VIEW) -> QuerySet[Merchant]:
    return scope(Merchant.objects.select_related("org"), user, capability)


def redemptions_visible(*, user: Any, capability: str = VIEW) -> QuerySet[Redemption]:
    return scope(
        Redemption.objects.select_related("offer", "store", "member", "merchant"),
        user,
        capability,
        "merchant__org",
    )


def settlements_visible(*, user: Any, capability: str = VIEW) -> QuerySet[Settlement]:
    return scope(
        Settlement.objects.select_related("merchant", "merchant__org"),
        user,
        capability,
        "merchant__org",
    )


def get_visible(qs: QuerySet[Any], pk: Any) -> Any:
    obj = qs.filter(pk=pk).first() if isinstance(pk, int) else None
    if obj is None:
        raise NotFound()
    return obj


# --- budgets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetFigures:
    cap_fen: int | None
    spent_fen: int
    left_fen: int | None
    redemptions: int
    subsidy_fen: int


def offer_budget_figures(*, offer: Offer) -> BudgetFigures:
    """The offer's budget (cap, spent, left) and its active redemptions' subsidy."""
    agg = Redemption.objects.filter(offer=offer, status=Redemption.Status.ACTIVE).aggregate(
        n=Count("pk"), s=Coalesce(Sum("subsidy_fen"), 0)
    )
    budget = offer.budget
    return BudgetFigures(
        cap_fen=budget.cap_fen if budget else None,
        spent_fen=budget.spent_fen if budget else 0,
        left_fen=budget.left_fen if budget else None,
        redemptions=int(agg["n"]),
        subsidy_fen=int(agg["s"]),
    )


# --- figures published to the dashboard (members.figures) ------------------------------------


def _live_redemptions(query: Any) -> QuerySet[Redemption]:
    """Redemptions at the merchants the subtree manages, made in the period, not voided (a
    void, whenever made, cancels its redemption: docs/figures.md rule 5)."""
    return Redemption.objects.filter(
        merchant__org__path__startswith=query.org.path,
        created_at__gte=query.start,
        created_at__lt=query.end,
        status=Redemption.Status.ACTIVE,
    )


def figure_redemptions(query: Any) -> int:
    return _live_redemptions(query).count()


def figure_subsidy_fen(query: Any) -> int:
    """The union's subsidy on those redemptions (fen)."""
    return int(_live_redemptions(query).aggregate(s=Coalesce(Sum("subsidy_fen"), 0))["s"])


def figure_merchants_active(query: Any) -> int:
    """Stock: partner merchants of the subtree that are active."""
    return Merchant.objects.filter(org__path__startswith=query.org.path, is_active=True).count()


def figure_stores_active(query: Any) -> int:
    """Stock: active stores of those merchants."""
    return Store.objects.filter(
        merchant__org__path__startswith=query.org.path, is_active=True, merchant__is_active=True
    ).count()


def pending_settlements(user: Any, org: Org) -> int:
    """Settlements drafted and not yet paid that ``user`` may pay, in ``org``'s subtree."""
    return (
        settlements_visible(user=user, capability="benefits.settle")
        .filter(status=Settlement.Status.DRAFT, merchant__org__path__startswith=org.path)
        .count()
    )
