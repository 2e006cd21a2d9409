"""Where the dashboard reads the ServiceEvent and member-activity figures: the roll-ups.

Same signatures and the same answers as the live selectors of ``members`` (docs/figures.md),
fast at a city's scale. Each answer is one statement that reads

- the buckets (``dashboard.models``) of the whole months and whole local days of the period,
  for the orgs of the subtree (an org's own rows; the path prefix gathers the subtree), and
- the rows above the watermark, live: events written since the last advance, and compensations
  written since then of events of the period (a compensation written today changes a past day),

in one snapshot, so a concurrent ``rollup_advance`` never makes a row count twice or not at all.
The hours of a period that are not whole local days (a period from 10:00) are read live from
``members.selectors``. 月活 over a period is the DISTINCT count of the union of the members of
whole years, whole months and the edge days — a set union, so it stays exact.

Inside ``dashboard.router.reading_replica()`` everything here reads from the replica."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction
from django.db import router as db_router

from gonghui.core.timeutil import SHANGHAI
from gonghui.members import selectors as member_selectors
from gonghui.orgs.models import Org

from . import rollup_sql as q
from .models import ActiveDay, ActiveMonth, ActiveYear, EventDay, EventMonth, RollupWatermark

DateRange = tuple[dt.date, dt.date]  # half-open [start, end)
ONE_DAY = dt.timedelta(days=1)


def _connection() -> Any:
    return connections[db_router.db_for_read(EventDay) or "default"]


Marks = Callable[[str], tuple[str, list[Any]]]


@contextmanager
def _snapshot(connection: Any) -> Iterator[Marks]:
    """One snapshot for the watermark and the buckets of an answer.

    PostgreSQL, outside a transaction: a REPEATABLE READ transaction in which the watermark is
    read first and given to the statement as a value, so that the planner sees how few rows are
    above it (a subquery would be estimated at a third of the table, a parallel scan of millions
    of events); parallel workers are off (many small reads, two cores). Otherwise (SQLite, or
    inside the caller's transaction): the watermark is a subquery of the one statement."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield lambda name: q.watermark_sql(connection, name)
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        table = q.table(RollupWatermark, connection)
        marks = dict(_fetch(connection, f"SELECT name, last_id FROM {table}", []))  # noqa: S608
        yield lambda name: ("%s", [int(marks.get(name, 0))])


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)


def _whole_days(start: dt.datetime, end: dt.datetime) -> DateRange | None:
    """The local days wholly inside [start, end), as [first, last + 1), or None."""
    first = start.astimezone(SHANGHAI).date()
    if _midnight(first) < start:
        first += ONE_DAY
    last = end.astimezone(SHANGHAI).date()
    return (first, last) if first < last else None


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _split(start: dt.date, end: dt.date, *, years: bool) -> tuple[list[DateRange], ...]:
    """[start, end) as whole years (if ``years``), whole months and the days left over."""
    year_ranges: list[DateRange] = []
    month_ranges: list[DateRange] = []
    day_ranges: list[DateRange] = []

    def by_month(a: dt.date, b: dt.date) -> None:
        m0 = a if a.day == 1 else _next_month(a)
        m1 = b.replace(day=1)
        edges = [(a, m0), (m1, b)] if m0 < m1 else [(a, b)]
        if m0 < m1:
            month_ranges.append((m0, m1))
        day_ranges.extend((x, y) for x, y in edges if x < y)

    if years:
        y0 = start if (start.month, start.day) == (1, 1) else dt.date(start.year + 1, 1, 1)
        y1 = dt.date(end.year, 1, 1)
        if y0 < y1:
            year_ranges.append((y0, y1))
            if start < y0:
                by_month(start, y0)
            if y1 < end:
                by_month(y1, end)
            return year_ranges, month_ranges, day_ranges
    by_month(start, end)
    return year_ranges, month_ranges, day_ranges


def _ranges(connection: Any, column: str, ranges: list[DateRange]) -> tuple[str, list[Any]]:
    if not ranges:
        return "1 = 0", []
    adapt = connection.ops.adapt_datefield_value
    params: list[Any] = []
    for a, b in ranges:
        params += [adapt(a), adapt(b)]
    return "(" + " OR ".join([f"({column} >= %s AND {column} < %s)"] * len(ranges)) + ")", params


def _fetch(connection: Any, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


# --- person-times and amounts -----------------------------------------------------------------


def _rolled_events(org: Org, first: dt.date, last: dt.date) -> dict[str, tuple[int, int, int]]:
    """Kind → (events, person-times, amount) of the whole local days [first, last)."""
    connection = _connection()
    with _snapshot(connection) as mark_of:
        return _rolled_events_in(connection, mark_of, org, first, last)


def _rolled_events_in(
    connection: Any, mark_of: Marks, org: Org, first: dt.date, last: dt.date
) -> dict[str, tuple[int, int, int]]:
    k = q.kinds()
    _, months, days = _split(first, last, years=False)
    join, cond, org_p = q.subtree("b", org, connection)
    parts: list[str] = []
    params: list[Any] = []
    for model, column, ranges in ((EventMonth, "month", months), (EventDay, "day", days)):
        if not ranges:
            continue
        where, range_p = _ranges(connection, f"b.{column}", ranges)
        parts.append(
            "SELECT b.kind AS kind, b.events AS ev, b.person_times AS pt, b.amount_fen AS amt "  # noqa: S608 - our own table names; values are parameters
            f"FROM {q.table(model, connection)} b {join} WHERE {cond} AND {where}"
        )
        params += org_p + range_p
    mark, mark_p = mark_of(RollupWatermark.EVENTS)
    adapt = connection.ops.adapt_datetimefield_value
    period = [adapt(_midnight(first)), adapt(_midnight(last))]
    live, live_p = q.event_contributions(
        connection,
        k,
        unit="NULL",
        where_events=f"e.id > {mark} AND e.occurred_at >= %s AND e.occurred_at < %s",
        where_params=mark_p + period,
        where_comps=f"c.id > {mark} AND e.occurred_at >= %s AND e.occurred_at < %s",
        comp_params=mark_p + period,
    )
    t_join, t_cond, t_p = q.subtree("x", org, connection)
    parts.append(f"SELECT x.kind, x.ev, x.pt, x.amt FROM ({live}) x {t_join} WHERE {t_cond}")  # noqa: S608 - our own table names; values are parameters
    params += live_p + t_p
    sql = (
        "SELECT kind, SUM(ev), SUM(pt), SUM(amt) FROM ("  # noqa: S608 - our own table names; values are parameters
        + " UNION ALL ".join(parts)
        + ") t GROUP BY kind"
    )
    return {
        kind: (int(ev or 0), int(pt or 0), int(amt or 0))
        for kind, ev, pt, amt in _fetch(connection, sql, params)
    }


def _event_figures(
    org: Org, start: dt.datetime, end: dt.datetime, *, amounts: bool
) -> dict[str, int]:
    whole = _whole_days(start, end)
    live = member_selectors.amounts_by_kind if amounts else member_selectors.person_times_by_kind
    if whole is None:
        return live(org=org, start=start, end=end)
    first, last = whole
    k = q.kinds()
    out: dict[str, int] = {}
    for kind, (ev, pt, amt) in _rolled_events(org, first, last).items():
        if amounts and kind in k.amount and ev > 0:
            out[kind] = amt
        elif not amounts and kind in k.counting and pt > 0:
            out[kind] = pt
    for a, b in ((start, _midnight(first)), (_midnight(last), end)):
        if a < b:
            for kind, value in live(org=org, start=a, end=b).items():
                out[kind] = out.get(kind, 0) + value
    return out


def person_times_by_kind(*, org: Org, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """As ``members.selectors.person_times_by_kind``: person-times (人次) in [start, end) at
    ``org``'s subtree by counting kind (kinds with none are absent)."""
    return _event_figures(org, start, end, amounts=False)


def amounts_by_kind(*, org: Org, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """As ``members.selectors.amounts_by_kind``: amounts (fen) in [start, end) at ``org``'s
    subtree by kind, net of compensations (a kind is present when it had an event)."""
    return _event_figures(org, start, end, amounts=True)


# --- member activity --------------------------------------------------------------------------


def active_members(*, org: Org, start: dt.date, end: dt.date) -> int:
    """As ``members.selectors.active_members``: members of ``org``'s subtree active on any local
    day from ``start`` to ``end`` (both included), each counted once (月活 for a month)."""
    if start > end:
        return 0
    connection = _connection()
    with _snapshot(connection) as mark_of:
        return _active_members_in(connection, mark_of, org, start, end)


def _active_members_in(
    connection: Any, mark_of: Marks, org: Org, start: dt.date, end: dt.date
) -> int:
    stop = end + ONE_DAY
    years, months, days = _split(start, stop, years=True)
    join, cond, org_p = q.subtree("b", org, connection)
    parts: list[str] = []
    params: list[Any] = []
    for model, column, ranges in ((ActiveYear, "year", years), (ActiveMonth, "month", months)):
        if ranges:
            where, range_p = _ranges(connection, f"b.{column}", ranges)
            parts.append(
                f"SELECT b.member_id FROM {q.table(model, connection)} b {join} "  # noqa: S608 - our own table names; values are parameters
                f"WHERE {cond} AND {where}"
            )
            params += org_p + range_p
    edges, edge_p = _ranges(connection, "b.day", days)
    mark, mark_p = mark_of(RollupWatermark.ACTIVITY)
    whole, whole_p = _ranges(connection, "b.day", [(start, stop)])
    parts.append(
        f"SELECT b.member_id FROM {q.activity_table(connection)} b {join} "  # noqa: S608 - our own table names; values are parameters
        f"WHERE {cond} AND ({edges} OR (b.id > {mark} AND {whole}))"
    )
    params += org_p + edge_p + mark_p + whole_p
    sql = "SELECT COUNT(*) FROM (" + " UNION ".join(parts) + ") t"  # noqa: S608 - our own table names; values are parameters
    return int(_fetch(connection, sql, params)[0][0] or 0)


def active_by_day(*, org: Org, start: dt.date, end: dt.date) -> dict[dt.date, int]:
    """As ``members.selectors.active_by_day``: 日活, members of ``org``'s subtree active on each
    local day from ``start`` to ``end`` that had any."""
    if start > end:
        return {}
    connection = _connection()
    with _snapshot(connection) as mark_of:
        return _active_by_day_in(connection, mark_of, org, start, end)


def _active_by_day_in(
    connection: Any, mark_of: Marks, org: Org, start: dt.date, end: dt.date
) -> dict[dt.date, int]:
    join, cond, org_p = q.subtree("b", org, connection)
    period, period_p = _ranges(connection, "b.day", [(start, end + ONE_DAY)])
    mark, mark_p = mark_of(RollupWatermark.ACTIVITY)
    sql = (
        "SELECT day, SUM(n) FROM ("  # noqa: S608 - our own table names; values are parameters
        f"SELECT b.day AS day, b.members AS n FROM {q.table(ActiveDay, connection)} b {join} "
        f"WHERE {cond} AND {period} UNION ALL "
        f"SELECT b.day, 1 FROM {q.activity_table(connection)} b {join} "
        f"WHERE {cond} AND b.id > {mark} AND {period}"
        ") t GROUP BY day ORDER BY day"
    )
    rows = _fetch(connection, sql, org_p + period_p + org_p + mark_p + period_p)
    return {_as_date(day): int(n) for day, n in rows if n}


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
