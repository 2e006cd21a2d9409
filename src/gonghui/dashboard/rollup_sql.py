"""The SQL the roll-ups share: local days and months on both backends, the kinds to roll up, and
the per-event contributions (docs/figures.md, "Roll-ups").

A bucket is a plain sum of per-row contributions, so that the rows up to the watermark (in the
buckets) plus the rows above it (read live) are exactly the figure:

- an event of a rolled kind adds 1 event, 1 person-time if its kind counts, and its amount, at
  its own org, local day and kind;
- a compensating event adds −1 person-time (if the cancelled kind counts) and its (negative)
  amount at the org, day and kind of the event it cancels, found by kind + source.

Dates: Asia/Shanghai has had no daylight saving time since 1991, so on SQLite (datetimes stored
as UTC text) the local day is ``date(x, '+8 hours')``; PostgreSQL converts by zone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from gonghui.members import servicekinds
from gonghui.members.models import MemberActivity, ServiceEvent
from gonghui.orgs.models import Org

from .models import RollupWatermark


def table(model: type[Model], connection: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def local_date(vendor: str, expr: str) -> str:
    """The Asia/Shanghai date of an aware datetime column."""
    if vendor == "postgresql":
        return f"(({expr}) AT TIME ZONE 'Asia/Shanghai')::date"
    return f"date({expr}, '+8 hours')"


def month_of(vendor: str, expr: str) -> str:
    """The first day of the month of a date expression."""
    if vendor == "postgresql":
        return f"date_trunc('month', ({expr})::timestamp)::date"
    return f"date({expr}, 'start of month')"


def year_of(vendor: str, expr: str) -> str:
    """1 January of the year of a date expression."""
    if vendor == "postgresql":
        return f"date_trunc('year', ({expr})::timestamp)::date"
    return f"date({expr}, 'start of year')"


@dataclass(frozen=True)
class Kinds:
    rolled: list[str]  # kinds that count or carry an amount, and are not compensations
    counting: list[str]
    amount: list[str]  # rolled kinds whose amount means something (spent, recovered)
    compensations: dict[str, str]  # compensating kind -> the rolled kind it cancels


def kinds() -> Kinds:
    """Read from the registry (members.servicekinds) each time: the rules are code."""
    rolled = [
        s.kind
        for s in servicekinds.specs()
        if not s.is_compensation and (s.counts or s.amount != servicekinds.Amount.NONE)
    ]
    return Kinds(
        rolled=rolled,
        counting=[k for k in rolled if servicekinds.spec(k).counts],
        amount=[k for k in rolled if servicekinds.spec(k).amount != servicekinds.Amount.NONE],
        compensations={
            s.kind: s.compensates
            for s in servicekinds.specs()
            if s.compensates is not None and s.compensates in rolled
        },
    )


def in_list(column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    """``column IN (%s, …)``; a condition that is false when ``values`` is empty."""
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def cancelled_kind(column: str, compensations: dict[str, str]) -> tuple[str, list[Any]]:
    """``CASE column WHEN <compensating kind> THEN <kind it cancels> … END``."""
    if not compensations:
        return "NULL", []
    whens = " ".join(["WHEN %s THEN %s"] * len(compensations))
    params: list[Any] = []
    for comp, original in sorted(compensations.items()):
        params += [comp, original]
    return f"CASE {column} {whens} END", params


def watermark_sql(connection: Any, name: str) -> tuple[str, list[Any]]:
    """The watermark as a scalar subquery: read in the same statement (one snapshot) as the
    buckets, so that a concurrent advance can never make a row count twice or not at all."""
    w = table(RollupWatermark, connection)
    return f"COALESCE((SELECT w.last_id FROM {w} w WHERE w.name = %s), 0)", [name]  # noqa: S608 - our own table names; values are parameters


def subtree(alias: str, org: Org, connection: Any) -> tuple[str, str, list[Any]]:
    """(join, condition, params): the rows of ``alias`` whose org is in ``org``'s subtree."""
    o = table(Org, connection)
    # Treebeard paths are upper-case letters and digits: nothing to escape in LIKE.
    return (
        f"JOIN {o} o ON o.id = {alias}.org_id",
        "o.path LIKE %s",
        [org.path + "%"],
    )


def event_contributions(
    connection: Any,
    k: Kinds,
    *,
    unit: str,
    where_events: str,
    where_params: list[Any],
    where_comps: str,
    comp_params: list[Any],
) -> tuple[str, list[Any]]:
    """``SELECT org_id, u, kind, ev, pt, amt`` — one row per contribution (module docstring).

    ``unit`` maps a datetime column to the bucket's date (``{col}`` in it is replaced);
    ``where_events`` filters the events (alias ``e``), ``where_comps`` the compensating events
    (alias ``c``; ``e`` is then the event cancelled)."""
    se = table(ServiceEvent, connection)
    counting, counting_p = in_list("e.kind", k.counting)
    rolled, rolled_p = in_list("e.kind", k.rolled)
    comps, comps_p = in_list("c.kind", list(k.compensations))
    cancels, cancels_p = cancelled_kind("c.kind", k.compensations)
    u_e = unit.format(col="e.occurred_at")
    sql = (
        f"SELECT e.org_id AS org_id, {u_e} AS u, e.kind AS kind, 1 AS ev, "  # noqa: S608 - our own table names; values are parameters
        f"CASE WHEN {counting} THEN 1 ELSE 0 END AS pt, e.amount_fen AS amt "
        f"FROM {se} e WHERE {rolled} AND {where_events} "
        "UNION ALL "
        f"SELECT e.org_id, {u_e}, e.kind, 0, CASE WHEN {counting} THEN -1 ELSE 0 END, "
        f"c.amount_fen FROM {se} c JOIN {se} e ON e.kind = {cancels} "
        "AND e.source_type = c.source_type AND e.source_id = c.source_id "
        f"WHERE {comps} AND {where_comps}"
    )
    params = counting_p + rolled_p + where_params + counting_p + cancels_p + comps_p + comp_params
    return sql, params


def activity_table(connection: Any) -> str:
    return table(MemberActivity, connection)


def event_table(connection: Any) -> str:
    return table(ServiceEvent, connection)
