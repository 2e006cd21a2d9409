"""The dashboard's console pages: the landing page, a figure by child org, the .xlsx of a table.

Thin: the figures come from ``selectors`` through ``tables`` (what the page shows is what the
export holds). Every page needs ``dashboard.view`` at the org (``selectors.org_for``: 404 out of
scope, also for an org id that does not exist)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from gonghui.core.timeutil import format_date
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

from . import selectors, tables
from .periods import Kind, Period, period_from_params
from .router import on_replica

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _context(request: HttpRequest) -> tuple[Org, Period]:
    if not can(request.user, selectors.VIEW):
        raise Http404
    org = selectors.org_for(request.user, request.GET.get("org"))
    period = period_from_params(
        request.GET.get("period"), request.GET.get("start"), request.GET.get("end")
    )
    return org, period


def _query(org: Org, period: Period, **extra: Any) -> str:
    return urlencode({"org": org.pk, **period.params(), **extra})


def _base(request: HttpRequest, org: Org, period: Period, title: str) -> dict[str, Any]:
    prev = period.previous()
    return {
        **admin.site.each_context(request),
        "title": title,
        "org": org,
        "period": period,
        "previous": prev,
        "period_label": f"{format_date(period.first)} – {format_date(period.last)}",
        "previous_label": f"{format_date(prev.first)} – {format_date(prev.last)}",
        "kinds": [(k.value, k.label) for k in Kind],
        "trail": selectors.trail(request.user, org),
        "roots": selectors.roots(request.user),
        "children": selectors.children(org),
        "query": _query(org, period),
        "period_query": urlencode(period.params()),
    }


def _chart(t: tables.Table, *, drop_total: bool = False) -> dict[str, Any]:
    """A table's labels (first column) and values (second) for ``dashboard/charts.js``."""
    rows = t.rows[:-1] if drop_total else t.rows
    return {
        "title": str(t.columns[1]),
        "labels": [str(r.cells[0].value) for r in rows],
        "values": [float(r.cells[1].value or 0) for r in rows],
    }


def _figure_links(t: tables.Table, org: Org, period: Period) -> list[tuple[tables.Row, str]]:
    """Rows whose link is a figure key, with the figure's page for the same org and period."""
    q = _query(org, period)
    return [
        (r, f"{reverse('dashboard:figure', args=[r.link])}?{q}" if r.link else "") for r in t.rows
    ]


def _org_links(t: tables.Table, key: str, period: Period) -> list[tuple[tables.Row, str]]:
    """Breakdown rows whose link is a child org's id, with the same figure one level down."""
    url = reverse("dashboard:figure", args=[key])
    period_q = urlencode(period.params())
    return [(r, f"{url}?org={r.link}&{period_q}" if r.link else "") for r in t.rows]


@on_replica
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard of an org and a period."""
    org, period = _context(request)
    shown = {
        "headline": tables.headline(org, period),
        "kinds": tables.kinds(org, period),
        "trend": tables.trend(org, period),
        "daily_active": tables.daily_active(org, period),
        "funds": tables.funds(org, period),
        "figures": tables.figures(org, period),
        "children": tables.breakdown(selectors.PERSON_TIMES, org, period),
    }
    linked = {
        name: _figure_links(shown[name], org, period) for name in ("headline", "kinds", "figures")
    }
    children = _org_links(shown["children"], selectors.PERSON_TIMES.key, period)
    plain = {
        name: [(r, "") for r in shown[name].rows] for name in ("trend", "daily_active", "funds")
    }
    page_tables = [
        (shown["headline"], linked["headline"]),
        (shown["kinds"], linked["kinds"]),
        (shown["children"], children),
        (shown["funds"], plain["funds"]),
        (shown["figures"], linked["figures"]),
        (shown["trend"], plain["trend"]),
        (shown["daily_active"], plain["daily_active"]),
    ]
    charts = {
        "trend": _chart(shown["trend"]),
        "daily_active": _chart(shown["daily_active"]),
        "kinds": _chart(shown["kinds"]),
        "children": _chart(shown["children"], drop_total=True),
    }
    context = {
        **_base(request, org, period, _("Dashboard")),
        "tables": shown,
        "headline_cards": linked["headline"],
        "page_tables": page_tables,
        "charts": charts,
        "pending": selectors.pending(request.user, org),
        "report_url": reverse("dashboard:report")
        + "?"
        + urlencode({"org": org.pk, "year": period.last.year}),
        "report_year": period.last.year,
    }
    return TemplateResponse(request, "admin/dashboard/home.html", context)


@on_replica
def figure(request: HttpRequest, key: str) -> HttpResponse:
    """One figure by child org, each child a link to the same page one level down, and the rows
    the figure counts (``rows_url``) where there are."""
    org, period = _context(request)
    f = selectors.figure(key)
    table = tables.breakdown(f, org, period)
    context = {
        **_base(request, org, period, str(f.label)),
        "figure": f,
        "table": table,
        "rows": _org_links(table, f.key, period),
        "rows_url": selectors.rows_url(f, org, period),
        "charts": {"breakdown": _chart(table, drop_total=True)},
    }
    return TemplateResponse(request, "admin/dashboard/figure.html", context)


@on_replica
def export(request: HttpRequest) -> HttpResponse:
    """The .xlsx of a table of the dashboard (``?table=<name>``, ``key=`` for a breakdown)."""
    org, period = _context(request)
    t = tables.build(request.GET.get("table", ""), org, period, request.GET.get("key"))
    response = HttpResponse(tables.xlsx(t, org, period), content_type=XLSX)
    name = f"dashboard-{t.name}-{org.code}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def index(request: HttpRequest) -> HttpResponse:
    """The console's landing page: the dashboard for whoever may view it somewhere, the work
    list (the admin's own index) for everyone else."""
    user = request.user
    if getattr(user, "is_staff", False) and user.is_active and selectors.roots(user):
        return home(request)
    return admin.site.index(request)


def home_url(org: Org, period: Period) -> str:
    return f"{reverse('dashboard:home')}?{_query(org, period)}"
