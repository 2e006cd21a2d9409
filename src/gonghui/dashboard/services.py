"""Writes of the dashboard: the roll-ups, advanced incrementally and rebuilt from scratch.

``rollup_advance`` (Celery beat every minute, ``gonghui dashboard-rollup``) adds the rows written
since the watermark to the buckets; ``rollup_rebuild`` (``gonghui dashboard-rollup --rebuild``)
empties the buckets and fills them again with INSERT … SELECT … GROUP BY in SQL. Both lock the
watermark rows (``select_for_update``), so two workers never count a row twice, and both work on
SQLite and PostgreSQL. The reads are in ``dashboard.rollups`` (docs/figures.md, "Roll-ups").

The one subtle point is an id handed out to a transaction that has not committed yet: the rows
above it are visible, it is not. The watermark therefore never passes a gap (a missing id)
younger than ``GONGHUI_ROLLUP_GRACE_SECONDS``: it waits below it, and the reads count everything
above the watermark live, so a late commit is still counted once. A gap older than that is an
insert that rolled back (or a conflict that used up an id) and is passed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from gonghui.core.timeutil import now

from . import rollup_sql as q
from .models import ActiveDay, ActiveMonth, ActiveYear, EventDay, EventMonth, RollupWatermark

MAX_IDS_PER_ADVANCE = 2_000_000  # a long backlog is caught up over several advances
MAX_TRACKED_GAPS = 1000
REBUILD_GAP_WINDOW = 100_000  # the rebuild looks for open transactions among the newest ids

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    return None


def _lock(name: str) -> RollupWatermark:
    RollupWatermark.objects.bulk_create([RollupWatermark(name=name)], ignore_conflicts=True)
    return RollupWatermark.objects.select_for_update().get(name=name)


def _execute(connection: Any, sql: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return int(cur.rowcount or 0)


def _scalar(connection: Any, sql: str, params: list[Any] | None = None) -> Any:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        row = cur.fetchone()
        return row[0] if row else None


def _gaps(connection: Any, tbl: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """The missing id ranges in (lo, hi], ``hi`` being a present id (at most MAX_TRACKED_GAPS)."""
    sql = (
        "SELECT prev + 1, id - 1 FROM (SELECT id, LAG(id, 1, CAST(%s AS BIGINT)) OVER (ORDER BY id) AS prev "  # noqa: S608 - our own table names; values are parameters
        f"FROM {tbl} WHERE id > %s AND id <= %s) s WHERE id > prev + 1 ORDER BY id LIMIT %s"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [lo, lo, hi, MAX_TRACKED_GAPS])
        return [(int(a), int(b)) for a, b in cur.fetchall()]


def _target(
    connection: Any, tbl: str, wm: RollupWatermark, *, scan_from: int, max_ids: int
) -> tuple[int, list[list[float]]]:
    """How far the watermark may move now, and the gaps above it to remember."""
    hi = _scalar(connection, f"SELECT MAX(id) FROM {tbl} WHERE id <= %s", [wm.last_id + max_ids])  # noqa: S608 - our own table names; values are parameters
    if hi is None or int(hi) <= wm.last_id:
        return wm.last_id, []
    hi = int(hi)
    clock = time.time()
    grace = settings.GONGHUI_ROLLUP_GRACE_SECONDS
    old = [(int(a), int(b), float(s)) for a, b, s in (wm.gaps or [])]
    tracked: list[list[float]] = []
    target = hi
    gaps = _gaps(connection, tbl, scan_from, hi)
    for lo, top in gaps:
        seen = min((s for a, b, s in old if a <= top and lo <= b), default=clock)
        tracked.append([lo, top, seen])
        if target == hi and clock - seen < grace:
            target = lo - 1  # an id that may still commit: wait below it
    if len(gaps) == MAX_TRACKED_GAPS:
        target = min(target, gaps[-1][1])  # not looked further: the next advance goes on
    return target, [g for g in tracked if g[0] > target]


# --- the contributions of a range of ids, added to the buckets --------------------------------


def _events_into(
    connection: Any, model: type[Any], unit: str, lo: int, hi: int, *, add: bool
) -> int:
    """Add the contributions of the events with lo < id <= hi (and of the compensations among
    them) into the day or month buckets (``unit``: a bucket date of ``{col}``)."""
    k = q.kinds()
    select, params = q.event_contributions(
        connection,
        k,
        unit=unit,
        where_events="e.id > %s AND e.id <= %s",
        where_params=[lo, hi],
        where_comps="c.id > %s AND c.id <= %s",
        comp_params=[lo, hi],
    )
    tbl = q.table(model, connection)
    col = "day" if model is EventDay else "month"
    sql = (
        f"INSERT INTO {tbl} (org_id, {col}, kind, events, person_times, amount_fen) "  # noqa: S608 - our own table names; values are parameters
        "SELECT org_id, u, kind, SUM(ev), SUM(pt), SUM(amt) "
        f"FROM ({select}) x WHERE 1 = 1 GROUP BY org_id, u, kind"
    )
    if add:
        sql += (
            f" ON CONFLICT (org_id, {col}, kind) DO UPDATE SET "
            f"events = {tbl}.events + excluded.events, "
            f"person_times = {tbl}.person_times + excluded.person_times, "
            f"amount_fen = {tbl}.amount_fen + excluded.amount_fen"
        )
    return _execute(connection, sql, params)


def _events_roll(connection: Any, lo: int, hi: int) -> None:
    vendor = connection.vendor
    day = q.local_date(vendor, "{col}")
    _events_into(connection, EventDay, day, lo, hi, add=True)
    _events_into(connection, EventMonth, q.month_of(vendor, day), lo, hi, add=True)


def _activity_roll(connection: Any, lo: int, hi: int, *, add: bool = True) -> None:
    vendor = connection.vendor
    act = q.activity_table(connection)
    day_t, month_t, year_t = (q.table(m, connection) for m in (ActiveDay, ActiveMonth, ActiveYear))
    upsert = (
        f" ON CONFLICT (org_id, day) DO UPDATE SET members = {day_t}.members + excluded.members"
        if add
        else ""
    )
    _execute(
        connection,
        f"INSERT INTO {day_t} (org_id, day, members) SELECT org_id, day, COUNT(*) FROM {act} "  # noqa: S608 - our own table names; values are parameters
        f"WHERE id > %s AND id <= %s GROUP BY org_id, day{upsert}",
        [lo, hi],
    )
    skip = " ON CONFLICT DO NOTHING" if add else ""
    _execute(
        connection,
        f"INSERT INTO {month_t} (org_id, month, member_id) "  # noqa: S608 - our own table names; values are parameters
        f"SELECT DISTINCT org_id, {q.month_of(vendor, 'day')}, member_id FROM {act} "
        f"WHERE id > %s AND id <= %s{skip}",
        [lo, hi],
    )
    source = act if add else month_t
    column = "day" if add else "month"
    where = "id > %s AND id <= %s" if add else "1 = 1"
    _execute(
        connection,
        f"INSERT INTO {year_t} (org_id, year, member_id) "  # noqa: S608 - our own table names; values are parameters
        f"SELECT DISTINCT org_id, {q.year_of(vendor, column)}, member_id FROM {source} "
        f"WHERE {where}{skip}",
        [lo, hi] if add else [],
    )


# --- the services -----------------------------------------------------------------------------


def _advance_one(
    connection: Any, name: str, tbl: str, roll: Callable[[Any, int, int], None], *, max_ids: int
) -> int:
    wm = _lock(name)
    target, gaps = _target(connection, tbl, wm, scan_from=wm.last_id, max_ids=max_ids)
    moved = target - wm.last_id
    if moved > 0:
        roll(connection, wm.last_id, target)
    wm.last_id = target
    wm.gaps = gaps
    wm.advanced_at = now()
    wm.save(update_fields=["last_id", "gaps", "advanced_at"])
    return moved


def rollup_advance(*, max_ids: int = MAX_IDS_PER_ADVANCE) -> dict[str, int]:
    """Roll up the service events and member activity written since the last advance (one
    transaction; the watermark rows are locked, so concurrent advances queue). Answers how many
    ids each watermark moved (0 when nothing new)."""
    connection = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic():
        return {
            RollupWatermark.ACTIVITY: _advance_one(
                connection,
                RollupWatermark.ACTIVITY,
                q.activity_table(connection),
                _activity_roll,
                max_ids=max_ids,
            ),
            RollupWatermark.EVENTS: _advance_one(
                connection,
                RollupWatermark.EVENTS,
                q.event_table(connection),
                _events_roll,
                max_ids=max_ids,
            ),
        }


def _empty(connection: Any, model: type[Any]) -> None:
    tbl = q.table(model, connection)
    if connection.vendor == "postgresql" and _scalar(
        connection, "SELECT has_table_privilege(%s, 'TRUNCATE')", [model._meta.db_table]
    ):
        _execute(connection, f"TRUNCATE {tbl}")
    else:
        # SQLite's DELETE without WHERE truncates; the runtime role of PostgreSQL may not
        # TRUNCATE (core.dbroles) and deletes.
        _execute(connection, f"DELETE FROM {tbl}")  # noqa: S608 - our own table names; values are parameters


def _count(connection: Any, model: type[Any]) -> int:
    return int(_scalar(connection, f"SELECT COUNT(*) FROM {q.table(model, connection)}") or 0)  # noqa: S608 - our own table names; values are parameters


def rollup_rebuild(*, progress: Progress = _quiet) -> dict[str, int]:
    """Empty every roll-up and fill it again from the sources in SQL (one transaction: the reads
    wait for it on PostgreSQL and then see the new buckets). Answers the watermarks."""
    connection = connections[DEFAULT_DB_ALIAS]
    vendor = connection.vendor
    out: dict[str, int] = {}
    with transaction.atomic():
        if vendor == "postgresql":
            _execute(connection, "SET LOCAL work_mem = '256MB'")
        marks = {n: _lock(n) for n in (RollupWatermark.ACTIVITY, RollupWatermark.EVENTS)}
        for model in (EventDay, EventMonth, ActiveDay, ActiveMonth, ActiveYear):
            _empty(connection, model)
        progress("emptied the roll-ups")
        for name, tbl in (
            (RollupWatermark.EVENTS, q.event_table(connection)),
            (RollupWatermark.ACTIVITY, q.activity_table(connection)),
        ):
            wm = marks[name]
            wm.last_id = 0  # the gaps it knew keep the time they were first seen
            top = _scalar(connection, f"SELECT MAX(id) FROM {tbl}")  # noqa: S608 - our own table names; values are parameters
            scan_from = max(0, int(top or 0) - REBUILD_GAP_WINDOW)
            target, gaps = _target(connection, tbl, wm, scan_from=scan_from, max_ids=1 << 62)
            started = time.perf_counter()
            if name == RollupWatermark.EVENTS:
                day = q.local_date(vendor, "{col}")
                _events_into(connection, EventDay, day, 0, target, add=False)
                progress(
                    f"service events up to id {target} → {_count(connection, EventDay):,} "
                    f"org-day-kind rows ({time.perf_counter() - started:.1f} s)"
                )
                month_t, day_t = q.table(EventMonth, connection), q.table(EventDay, connection)
                _execute(
                    connection,
                    f"INSERT INTO {month_t} (org_id, month, kind, events, person_times, "  # noqa: S608 - our own table names; values are parameters
                    f"amount_fen) SELECT org_id, {q.month_of(vendor, 'day')}, kind, SUM(events), "
                    f"SUM(person_times), SUM(amount_fen) FROM {day_t} WHERE 1 = 1 "
                    f"GROUP BY org_id, {q.month_of(vendor, 'day')}, kind",
                )
                progress(f"→ {_count(connection, EventMonth):,} org-month-kind rows")
            else:
                _activity_roll(connection, 0, target, add=False)
                progress(
                    f"member activity up to id {target} → {_count(connection, ActiveDay):,} "
                    f"org-day rows, {_count(connection, ActiveMonth):,} org-month-member rows, "
                    f"{_count(connection, ActiveYear):,} org-year-member rows "
                    f"({time.perf_counter() - started:.1f} s)"
                )
            wm.last_id, wm.gaps = target, gaps
            wm.rebuilt_at = wm.advanced_at = now()
            wm.save()
            out[name] = target
    return out
