"""Dashboard API (/api/v1/dashboard/): the console dashboard's figures as JSON.

A console session (``staff_auth``) holding ``dashboard.view`` at the org. Every endpoint takes
``org`` (default: the user's first scope root), ``period`` (month, quarter, year, custom) and
``start`` / ``end`` (local days, ``end`` included; for month/quarter/year ``start`` picks which
one, default the current). An org out of scope, or one that does not exist, answers 404.
Amounts are integer fen; a figure's ``unit`` says how its value reads (count, fen, hours,
permille)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from gonghui.core.apiauth import staff_auth
from gonghui.core.apischema import Error
from gonghui.core.errors import NotFound
from gonghui.members.figures import Figure, Query
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

from . import selectors
from .periods import Period, period_from_params
from .router import on_replica

router = Router(tags=["dashboard"], auth=staff_auth)

ERRORS: dict[int, Any] = {404: Error}


class PeriodOut(Schema):
    kind: str
    start: dt.date  # first local day
    end: dt.date  # last local day, included


class OrgOut(Schema):
    id: int
    name: str
    code: str


class FigureOut(Schema):
    key: str
    label: str
    unit: str
    additive: bool
    stock: bool
    value: int | Decimal
    previous: int | Decimal
    delta: int | Decimal
    percent: Decimal | None  # change against the previous period, %, None when it was 0


class SummaryOut(Schema):
    org: OrgOut
    period: PeriodOut
    previous: PeriodOut
    figures: list[FigureOut]


class KindOut(Schema):
    kind: str
    label: str
    person_times: int
    previous_person_times: int
    amount_fen: int
    amount_meaning: str


class KindsOut(Schema):
    org: OrgOut
    period: PeriodOut
    kinds: list[KindOut]


class DayOut(Schema):
    day: dt.date
    active: int


class ActivityOut(Schema):
    org: OrgOut
    period: PeriodOut
    active_members: int  # distinct members active on any day of the period (月活 for a month)
    daily: list[DayOut]  # 日活, every day of the period


class FundSpendingOut(Schema):
    fund: str
    fund_label: str
    purpose: str
    purpose_label: str
    amount_fen: int


class FundsOut(Schema):
    org: OrgOut
    period: PeriodOut
    total_fen: int
    spending: list[FundSpendingOut]


class SectionOut(Schema):
    key: str
    label: str
    figures: list[FigureOut]


class FiguresOut(Schema):
    org: OrgOut
    period: PeriodOut
    sections: list[SectionOut]


class PartOut(Schema):
    org: OrgOut | None  # None: the org's own rows (本级)
    value: int | Decimal


class BreakdownOut(Schema):
    org: OrgOut
    period: PeriodOut
    key: str
    label: str
    unit: str
    additive: bool
    total: int | Decimal
    parts: list[PartOut]


class PendingOut(Schema):
    key: str
    label: str
    count: int
    url: str


class PendingListOut(Schema):
    org: OrgOut
    pending: list[PendingOut]


def _resolve(
    request: HttpRequest, org: int | None, period: str | None, start: str | None, end: str | None
) -> tuple[Org, Period]:
    user = request.auth  # type: ignore[attr-defined]
    try:
        if not can(user, selectors.VIEW):
            raise Http404
        found = selectors.org_for(user, org)
    except Http404:
        raise NotFound() from None
    return found, period_from_params(period, start, end)


def _org(org: Org) -> dict[str, Any]:
    return {"id": org.pk, "name": org.name, "code": org.code}


def _period(p: Period) -> dict[str, Any]:
    return {"kind": p.kind.value, "start": p.first, "end": p.last}


def _figure(c: selectors.Compared) -> dict[str, Any]:
    f: Figure = c.figure
    return {
        "key": f.key,
        "label": str(f.label),
        "unit": str(f.unit),
        "additive": f.additive,
        "stock": f.stock,
        "value": c.value,
        "previous": c.previous,
        "delta": c.delta,
        "percent": c.percent,
    }


@router.get("/summary", response={200: SummaryOut, **ERRORS}, summary="Headline figures")
@on_replica
def summary(
    request: HttpRequest,
    org: int | None = None,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Any:
    """Person-times served, union money spent and money recovered (from service events), active
    members (distinct), new members and funds spent, each with the previous period."""
    o, p = _resolve(request, org, period, start, end)
    return {
        "org": _org(o),
        "period": _period(p),
        "previous": _period(p.previous()),
        "figures": [_figure(c) for c in selectors.headline(o, p)],
    }


@router.get("/kinds", response={200: KindsOut, **ERRORS}, summary="By service kind")
@on_replica
def kinds(
    request: HttpRequest,
    org: int | None = None,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Any:
    """Person-times (this and the previous period) and amounts (fen) by service kind."""
    o, p = _resolve(request, org, period, start, end)
    rows = [
        {
            "kind": r.kind,
            "label": str(r.label),
            "person_times": r.person_times,
            "previous_person_times": r.previous,
            "amount_fen": r.amount_fen,
            "amount_meaning": str(r.meaning),
        }
        for r in selectors.kinds(o, p)
    ]
    return {"org": _org(o), "period": _period(p), "kinds": rows}


@router.get("/activity", response={200: ActivityOut, **ERRORS}, summary="Active members")
@on_replica
def activity(
    request: HttpRequest,
    org: int | None = None,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Any:
    """Members active in the period, each once (月活 for a month), and active on each day (日活)."""
    o, p = _resolve(request, org, period, start, end)
    return {
        "org": _org(o),
        "period": _period(p),
        "active_members": selectors.ACTIVE.compute(Query(o, p.start, p.end)),
        "daily": [{"day": d.first, "active": d.value} for d in selectors.daily_active(o, p)],
    }


@router.get("/funds", response={200: FundsOut, **ERRORS}, summary="Funds spent")
@on_replica
def funds(
    request: HttpRequest,
    org: int | None = None,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Any:
    """Money spent from the subtree's funds by fund and purpose (the ledger kind), net of
    reversals; allocations between the union's own accounts are not spending."""
    o, p = _resolve(request, org, period, start, end)
    rows = selectors.funds_spending(o, p)
    return {
        "org": _org(o),
        "period": _period(p),
        "total_fen": sum(r.amount_fen for r in rows),
        "spending": [
            {
                "fund": r.fund,
                "fund_label": str(r.fund_label),
                "purpose": r.purpose,
                "purpose_label": str(r.purpose_label),
                "amount_fen": r.amount_fen,
            }
            for r in rows
        ],
    }


@router.get("/figures", response={200: FiguresOut, **ERRORS}, summary="Registered figures")
@on_replica
def figures(
    request: HttpRequest,
    org: int | None = None,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Any:
    """Every figure the service apps publish (``members.figures``), by section."""
    o, p = _resolve(request, org, period, start, end)
    sections = [
        {"key": s.key, "label": str(s.label), "figures": [_figure(c) for c in s.figures]}
        for s in selectors.registered(o, p)
    ]
    return {"org": _org(o), "period": _period(p), "sections": sections}


@router.get(
    "/breakdown/{key}", response={200: BreakdownOut, **ERRORS}, summary="A figure by child org"
)
@on_replica
def breakdown(
    request: HttpRequest,
    key: str,
    org: int | None = None,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Any:
    """One figure (a ``dashboard.*`` key or a registered one) for each direct child of the org;
    an additive figure also has the org's own rows (``org`` null, 本级) when there are any, and
    its parts sum to the total."""
    o, p = _resolve(request, org, period, start, end)
    try:
        f = selectors.figure(key)
    except Http404:
        raise NotFound() from None
    b = selectors.breakdown(f, o, p)
    return {
        "org": _org(o),
        "period": _period(p),
        "key": f.key,
        "label": str(f.label),
        "unit": str(f.unit),
        "additive": f.additive,
        "total": b.total,
        "parts": [{"org": _org(x.org) if x.org else None, "value": x.value} for x in b.parts],
    }


@router.get("/pending", response={200: PendingListOut, **ERRORS}, summary="Pending work")
@on_replica
def pending(request: HttpRequest, org: int | None = None) -> Any:
    """What waits for the user in the org's subtree (the registered pending counters)."""
    o, _p = _resolve(request, org, None, None, None)
    rows = [
        {"key": r.key, "label": str(r.label), "count": r.count, "url": r.url}
        for r in selectors.pending(request.auth, o)  # type: ignore[attr-defined]
    ]
    return {"org": _org(o), "pending": rows}
