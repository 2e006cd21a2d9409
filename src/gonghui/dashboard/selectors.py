"""What the dashboard shows, for an org's subtree and a period (docs/figures.md, "The dashboard").

Person-times and amounts by service kind, 月活 and 日活 come from ``dashboard.rollups`` (never
from members.selectors directly: the roll-ups replace them behind the same signatures); new
members from the members table; money spent from the ledger (``funds.selectors.spending``);
everything else from the figures the service apps publish in ``members.figures``.

The dashboard's own figures are :class:`~gonghui.members.figures.Figure` objects too (keys
``dashboard.*``, not in the registry), so that one breakdown and one drill-down serve both."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from gonghui.core.timeutil import to_local
from gonghui.funds import selectors as fund_selectors
from gonghui.funds.ledgerkinds import label_for as ledger_label
from gonghui.funds.models import AccountKind
from gonghui.members import figures as registry
from gonghui.members import servicekinds
from gonghui.members.figures import Figure, Query, Unit, Value
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import get_in_scope_or_404, is_unrestricted, scope_roots

from . import rollups
from .periods import Period, buckets

VIEW = "dashboard.view"
SECTION = "dashboard"
SECTION_LABEL = _("Services")
OWN_LEVEL = _("This level")  # 本级: the org's own rows, beside its children

# --- the org ---------------------------------------------------------------------------------


def roots(user: Any) -> list[Org]:
    """The orgs at which ``user`` may view the dashboard (whole subtrees)."""
    if is_unrestricted(user):
        return list(Org.objects.filter(depth=1).order_by("path"))
    paths = scope_roots(user, VIEW)
    return list(Org.objects.filter(path__in=paths).order_by("path"))


def org_for(user: Any, org_id: Any) -> Org:
    """The org the page is about: ``org_id`` if ``user`` may view it (else 404, also for an id
    that does not exist or is malformed), or the user's first scope root when none is given."""
    if org_id in (None, ""):
        found = roots(user)
        if not found:
            raise Http404
        return found[0]
    return get_in_scope_or_404(Org.objects.all(), user, VIEW, field="", pk=org_id)


def trail(user: Any, org: Org) -> list[Org]:
    """The org's ancestors that ``user`` may view, and the org (the breadcrumbs)."""
    paths = [org.path[: i * org.steplen] for i in range(1, org.depth)]
    allowed = [r.path for r in roots(user)] if not is_unrestricted(user) else [""]
    paths = [p for p in paths if any(p.startswith(r) for r in allowed)]
    return [*Org.objects.filter(path__in=paths).order_by("depth"), org]


def children(org: Org) -> list[Org]:
    """The direct children of ``org`` (read by path: a cached ``numchild`` may be stale)."""
    return list(Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).order_by("path"))


# --- the figures of ServiceEvent, activity, members and the ledger ---------------------------


def _days(q: Query) -> tuple[dt.date, dt.date]:
    """The local days of a query's period (first, last included)."""
    return to_local(q.start).date(), (to_local(q.end) - dt.timedelta(days=1)).date()


def _person_times(q: Query) -> int:
    return sum(rollups.person_times_by_kind(org=q.org, start=q.start, end=q.end).values())


def _amount(meaning: servicekinds.Amount) -> Any:
    def compute(q: Query) -> int:
        by_kind = rollups.amounts_by_kind(org=q.org, start=q.start, end=q.end)
        return sum(v for k, v in by_kind.items() if servicekinds.spec(k).amount == meaning)

    return compute


def _active(q: Query) -> int:
    first, last = _days(q)
    return rollups.active_members(org=q.org, start=first, end=last)


def _joined(q: Query) -> int:
    first, last = _days(q)
    return Member.objects.filter(
        org__path__startswith=q.org.path, joined_on__gte=first, joined_on__lte=last
    ).count()


def _funds_spent(q: Query) -> int:
    return sum(fund_selectors.spending(org=q.org, start=q.start, end=q.end).values())


def events_url(q: Query, kind: str | None = None) -> str | None:
    """The console list of the service events of ``q`` (its subtree and period), of one kind."""
    try:
        url = reverse("admin:members_serviceevent_changelist")
    except NoReverseMatch:
        return None
    first, last = _days(q)
    params = {"org_tree": q.org.pk, "occurred_from": first, "occurred_to": last}
    if kind:
        params = {"kind": kind, **params}
    return f"{url}?{urlencode(params)}"


def _members_url(q: Query) -> str | None:
    try:
        url = reverse("admin:members_member_changelist")
    except NoReverseMatch:
        return None
    first, last = _days(q)
    params = {"org_tree": q.org.pk, "joined_from": first, "joined_to": last}
    return f"{url}?{urlencode(params)}"


def _kind_figure(kind: str) -> Figure:
    def compute(q: Query) -> int:
        return rollups.person_times_by_kind(org=q.org, start=q.start, end=q.end).get(kind, 0)

    return Figure(
        key=f"dashboard.kind.{kind}",
        label=servicekinds.label_for(kind),
        section=SECTION,
        unit=Unit.COUNT,
        compute=compute,
        rows_url=lambda q: events_url(q, kind),
    )


PERSON_TIMES = Figure(
    "dashboard.person_times", _("Person-times served"), SECTION, Unit.COUNT, _person_times,
    rows_url=events_url, order=1,
)  # fmt: skip
SPENT = Figure(
    "dashboard.spent", _("Union money spent on members"), SECTION, Unit.FEN,
    _amount(servicekinds.Amount.SPENT), rows_url=events_url, order=2,
)  # fmt: skip
RECOVERED = Figure(
    "dashboard.recovered", _("Money recovered for workers"), SECTION, Unit.FEN,
    _amount(servicekinds.Amount.RECOVERED), rows_url=events_url, order=3,
)  # fmt: skip
ACTIVE = Figure(
    "dashboard.active_members", _("Active members (distinct)"), SECTION, Unit.COUNT, _active,
    additive=False, order=4,
)  # fmt: skip
JOINED = Figure(
    "dashboard.new_members", _("New members"), SECTION, Unit.COUNT, _joined,
    rows_url=_members_url, order=5,
)  # fmt: skip
FUNDS_SPENT = Figure(
    "dashboard.funds_spent", _("Funds spent"), SECTION, Unit.FEN, _funds_spent, order=6,
)  # fmt: skip

HEADLINE = (PERSON_TIMES, SPENT, RECOVERED, ACTIVE, JOINED, FUNDS_SPENT)


def figure(key: str) -> Figure:
    """A figure of the dashboard or of the registry by key (Http404 if there is none)."""
    for f in HEADLINE:
        if f.key == key:
            return f
    prefix = "dashboard.kind."
    if key.startswith(prefix) and key[len(prefix) :] in servicekinds.counting_kinds():
        return _kind_figure(key[len(prefix) :])
    try:
        return registry.figure(key)
    except LookupError:
        raise Http404 from None


# --- comparison --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compared:
    figure: Figure
    value: Value
    previous: Value

    @property
    def delta(self) -> Value:
        return self.value - self.previous

    @property
    def percent(self) -> Decimal | None:
        """Change against the previous period in % (one decimal), None when it was 0."""
        if not self.previous:
            return None
        return (Decimal(self.delta) * 100 / Decimal(self.previous)).quantize(Decimal("0.1"))


def compare(f: Figure, org: Org, period: Period) -> Compared:
    prev = period.previous()
    return Compared(
        f,
        f.compute(Query(org, period.start, period.end)),
        f.compute(Query(org, prev.start, prev.end)),
    )


def headline(org: Org, period: Period) -> list[Compared]:
    return [compare(f, org, period) for f in HEADLINE]


# --- by service kind ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KindRow:
    kind: str
    label: Any
    person_times: int
    previous: int
    amount_fen: int
    meaning: Any  # what the amount means (label), "" when the kind has none
    counts: bool  # a counting kind (its person-times have a figure page)

    @property
    def key(self) -> str | None:
        return f"dashboard.kind.{self.kind}" if self.counts else None


def kinds(org: Org, period: Period) -> list[KindRow]:
    """Person-times and amounts by service kind (every kind with something in either period)."""
    prev = period.previous()
    counts = rollups.person_times_by_kind(org=org, start=period.start, end=period.end)
    before = rollups.person_times_by_kind(org=org, start=prev.start, end=prev.end)
    money = rollups.amounts_by_kind(org=org, start=period.start, end=period.end)
    rows: list[KindRow] = []
    for kind in sorted(set(counts) | set(before) | set(money)):
        try:
            spec = servicekinds.spec(kind)
        except LookupError:
            continue
        rows.append(
            KindRow(
                kind=kind,
                label=spec.label,
                person_times=counts.get(kind, 0),
                previous=before.get(kind, 0),
                amount_fen=money.get(kind, 0),
                meaning=spec.amount.label if spec.amount != servicekinds.Amount.NONE else "",
                counts=spec.counts,
            )
        )
    rows.sort(key=lambda r: (-r.person_times, -r.amount_fen, r.kind))
    return rows


# --- trends ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    first: dt.date
    last: dt.date
    value: Value


def person_times_trend(org: Org, period: Period) -> list[Point]:
    """Person-times by day (a period of up to 31 days) or by month: one query a bucket."""
    out = []
    for first, last in buckets(period):
        p = Period(period.kind, first, last)
        out.append(Point(first, last, PERSON_TIMES.compute(Query(org, p.start, p.end))))
    return out


def daily_active(org: Org, period: Period) -> list[Point]:
    """日活: every day of the period (0 where nobody was active)."""
    by_day = rollups.active_by_day(org=org, start=period.first, end=period.last)
    return [
        Point(d, d, by_day.get(d, 0))
        for d in (period.first + dt.timedelta(days=i) for i in range(period.days))
    ]


# --- funds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundRow:
    fund: str
    fund_label: Any
    purpose: str
    purpose_label: Any
    amount_fen: int


def funds_spending(org: Org, period: Period) -> list[FundRow]:
    """Money spent from the subtree's funds by fund and purpose (``funds.selectors.spending``)."""
    found = fund_selectors.spending(org=org, start=period.start, end=period.end)
    labels = dict(AccountKind.choices)
    rows = [
        FundRow(fund, labels.get(fund, fund), purpose, ledger_label(purpose), total)
        for (fund, purpose), total in found.items()
    ]
    rows.sort(key=lambda r: (r.fund, -r.amount_fen, r.purpose))
    return rows


# --- the registered figures --------------------------------------------------------------------


@dataclass(frozen=True)
class SectionFigures:
    key: str
    label: Any
    figures: list[Compared] = field(default_factory=list)


def registered(org: Org, period: Period) -> list[SectionFigures]:
    """Every figure of ``members.figures``, by section, with the previous period."""
    out: list[SectionFigures] = []
    for s in registry.sections():
        found = [compare(f, org, period) for f in registry.figures(s.key)]
        if found:
            out.append(SectionFigures(s.key, s.label, found))
    return out


# --- breakdown by child org --------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    org: Org | None  # None: 本级, the org's own rows
    value: Value


@dataclass(frozen=True)
class Breakdown:
    figure: Figure
    org: Org
    total: Value
    parts: list[Part]


def breakdown(f: Figure, org: Org, period: Period) -> Breakdown:
    """The figure for each direct child of ``org``; for an additive figure also the org's own
    rows (本级: the total less the children's) when there are any. The children of an additive
    figure and 本级 sum to the total; a figure that is not additive is computed per child."""
    total = f.compute(Query(org, period.start, period.end))
    parts = [Part(c, f.compute(Query(c, period.start, period.end))) for c in children(org)]
    if f.additive:
        own: Value = total
        for p in parts:
            own -= p.value
        if own:
            parts.insert(0, Part(None, own))
    return Breakdown(f, org, total, parts)


def rows_url(f: Figure, org: Org, period: Period) -> str | None:
    """Where the rows of the figure are (the drill-down's last step), or None."""
    if f.rows_url is None:
        return None
    return f.rows_url(Query(org, period.start, period.end))


# --- pending work ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingRow:
    key: str
    label: Any
    count: int
    url: str


def pending(user: Any, org: Org) -> list[PendingRow]:
    """The registered pending-work counters with something waiting for ``user`` in ``org``."""
    out = []
    for p in registry.pending():
        n = p.count(user, org)
        if n:
            out.append(PendingRow(p.key, p.label, n, p.url(org)))
    return out
