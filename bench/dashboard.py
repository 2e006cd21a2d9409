"""Benchmark: the dashboard at a city's scale (issue #13 item 5). PostgreSQL only.

    python bench/dashboard.py [--database-url URL] [--scale 1.0] [--repeat 5] [--keep]

1. A database of its own, dropped and created again, then migrated: ``--database-url``, or
   ``GONGHUI_BENCH_DASHBOARD_DATABASE_URL``, or the server of ``DATABASE_URL`` with the name
   ``gonghui_bench_dashboard``, or ``postgres://postgres@127.0.0.1:5432/gonghui_bench_dashboard``
   (the name must contain "bench"; the role must be a superuser, see the ledger below).
2. Generates, at ``--scale 1``: an org tree (root → 10 districts → 1,000 unions), 200,000
   members and 10,000,000 service events over 3 years across every registered kind (about 2 %
   of them compensations of a cancellable event, written up to 30 days later), each with
   ``COPY … FROM STDIN``; 2,000,000 ledger entries (1,000,000 balanced transactions of two
   entries between two accounts of a union) also with COPY; and the member-activity rows (one
   per member and local day with an event) with one INSERT … SELECT. ``--scale 0.01`` is a
   one-minute smoke run (the tree keeps its size).
   The ledger: its deferred constraint triggers check every inserted entry's transaction at
   commit (three million checks), so the COPY runs with ``session_replication_role = replica``
   (triggers off for this session; hence a superuser), and the zero-sum rule is then checked
   for every transaction with one GROUP BY, and the accounts' cached balances are set from
   their entries — what ``funds.selectors.ledger_verify`` recomputes.
3. Rebuilds the roll-ups (``gonghui dashboard-rollup --rebuild``; timed: ``rebuild_s``).
4. Times the dashboard's reads for the root, a district and a leaf union, for last month and
   last year: every GET route of the ninja API whose path starts with ``/api/v1/dashboard``
   (found at run time in the OpenAPI schema), through Django's test client with a federation
   admin's session; where there is none yet, the ``dashboard.rollups`` functions and every
   ``members.figures`` figure's compute instead (the output says which). Each read ``--repeat``
   times after one warm-up.
5. Checks that 月活 from the roll-ups equals a brute-force DISTINCT count for each org and
   period (``mau_exact``).

Last line: one JSON object with ``events``, ``p50_ms``, ``p99_ms``, ``rebuild_s``, ``mau_exact``
(targets: p50 < 100 ms, p99 < 300 ms, rebuild < 300 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gonghui_bench_dashboard"
DISTRICTS, UNIONS_PER_DISTRICT = 10, 100
MEMBERS, EVENTS, LEDGER_ENTRIES = 200_000, 10_000_000, 2_000_000
COMPENSATION_SHARE = 0.02
YEARS = 3
CHUNK = 50_000  # rows per COPY write


def bench_database_url(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("GONGHUI_BENCH_DASHBOARD_DATABASE_URL"):
        return os.environ["GONGHUI_BENCH_DASHBOARD_DATABASE_URL"]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(base)
        return urlunsplit((parts.scheme, parts.netloc, "/gonghui_bench_dashboard", parts.query, ""))
    return DEFAULT_URL


def recreate_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    parts = urlsplit(url)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Step:
    """Prints what it did and how long it took."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> Step:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        print(f"  {self.label}: {self.seconds:.1f} s", flush=True)


def copy_rows(table: str, columns: list[str], rows: Any) -> int:
    """COPY the tab-separated lines of ``rows`` (an iterable of str) into ``table``."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    n = 0
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buf: list[str] = []
        for line in rows:
            buf.append(line)
            if len(buf) >= CHUNK:
                copy.write("".join(buf))
                n += len(buf)
                buf = []
        if buf:
            copy.write("".join(buf))
            n += len(buf)
    return n


def sql(statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(statement, params or [])
        return list(cur.fetchall()) if cur.description else []


# --- generation ---------------------------------------------------------------------------------


def make_tree() -> tuple[Any, list[Any], list[Any]]:
    """root → DISTRICTS → UNIONS_PER_DISTRICT each, written in two bulk inserts (treebeard
    paths computed here)."""
    from gonghui.orgs.models import Org

    root = Org.objects.add_root(
        create_kwargs={
            "name": "市总工会",
            "code": "BENCH",
            "kind": Org.Kind.FEDERATION,
            "region_code": "331021",
        }
    )
    districts = [
        Org(
            path=Org._get_path(root.path, 2, d + 1),
            depth=2,
            numchild=UNIONS_PER_DISTRICT,
            name=f"第{d + 1}街道总工会",
            code=f"BENCH-{d + 1}",
            kind=Org.Kind.DISTRICT,
            region_code="331021",
        )
        for d in range(DISTRICTS)
    ]
    Org.objects.bulk_create(districts)
    unions = [
        Org(
            path=Org._get_path(district.path, 3, u + 1),
            depth=3,
            numchild=0,
            name=f"{district.name}第{u + 1}基层工会",
            code=f"{district.code}-{u + 1}",
            kind=Org.Kind.GRASSROOTS,
            region_code="331021",
        )
        for district in districts
        for u in range(UNIONS_PER_DISTRICT)
    ]
    Org.objects.bulk_create(unions, batch_size=1000)
    Org.objects.filter(pk=root.pk).update(numchild=DISTRICTS)
    districts = list(Org.objects.filter(depth=2).order_by("path"))
    unions = list(Org.objects.filter(depth=3).order_by("path"))
    return root, districts, unions


def member_lines(n: int, unions: list[Any], now: dt.datetime) -> Any:
    stamp = now.isoformat()
    rng = random.Random(1)
    for i in range(n):
        union = unions[rng.randrange(len(unions))]
        gig = rng.random() < 0.1
        joined = (now - dt.timedelta(days=rng.randrange(3650))).date().isoformat()
        yield (
            f"x\t{i:064d}\tx\tp{i:063d}\tB{i:09d}\t会员{i}\t{'MF'[i % 2]}\tx\t{1960 + i % 45}\t"
            f"{union.pk}\t{'gig' if gig else 'employee'}\t{'rider' if gig else ''}\tf\tactive\t"
            f"{joined}\t[]\t\t{stamp}\t{stamp}\n"
        )


MEMBER_COLUMNS = [
    "id_number_cipher",
    "id_number_index",
    "phone_cipher",
    "phone_index",
    "member_no",
    "name",
    "gender",
    "birth_date_cipher",
    "birth_year",
    "org_id",
    "employment_type",
    "gig_trade",
    "is_frontline",
    "status",
    "joined_on",
    "skills",
    "address",
    "created_at",
    "updated_at",
]
EVENT_COLUMNS = [
    "member_id",
    "org_id",
    "kind",
    "amount_fen",
    "source_type",
    "source_id",
    "occurred_at",
    "created_at",
]


def event_lines(n: int, members: list[tuple[int, int]], now: dt.datetime) -> Any:
    """``n`` rows: events of every registered kind, a share of them followed by their
    compensation (same member, org and source, negative amount, up to 30 days later)."""
    from gonghui.members import servicekinds

    specs = [s for s in servicekinds.specs() if not s.is_compensation]
    weights = [(8 if s.counts else 2) for s in specs]
    cancellable_share = sum(w for s, w in zip(specs, weights, strict=True) if s.cancelled_by) / sum(
        weights
    )
    p_cancel = min(0.9, COMPENSATION_SHARE / max(cancellable_share, 1e-9))
    rng = random.Random(2)
    span = YEARS * 365 * 86400
    stamp = now.isoformat()
    picks = rng.choices(range(len(specs)), weights=weights, k=min(n, 1_000_000))
    written = 0
    i = 0
    while written < n:
        spec = specs[picks[i % len(picks)]]
        member_id, org_id = members[rng.randrange(len(members))]
        at = now - dt.timedelta(seconds=rng.randrange(span))
        amount = 0
        if spec.amount == servicekinds.Amount.SPENT:
            amount = rng.randrange(100, 20_000)
        elif spec.amount == servicekinds.Amount.RECOVERED:
            amount = rng.randrange(10_000, 2_000_000)
        yield (
            f"{member_id}\t{org_id}\t{spec.kind}\t{amount}\tbench.source\t{i}\t"
            f"{at.isoformat()}\t{stamp}\n"
        )
        written += 1
        if spec.cancelled_by and written < n and rng.random() < p_cancel:
            later = min(now, at + dt.timedelta(seconds=rng.randrange(30 * 86400)))
            yield (
                f"{member_id}\t{org_id}\t{spec.cancelled_by}\t{-amount}\tbench.source\t{i}\t"
                f"{later.isoformat()}\t{stamp}\n"
            )
            written += 1
        i += 1


def make_ledger(entries: int, unions: list[Any], now: dt.datetime) -> int:
    """Two accounts per union and ``entries // 2`` balanced transactions between them."""
    from gonghui.funds.models import AccountKind, FundAccount, normal_side_of

    accounts = []
    for union in unions:
        for kind in (AccountKind.UNION_FUNDS, AccountKind.BANK):
            accounts.append(
                FundAccount(
                    org=union,
                    kind=kind,
                    name=f"{union.name} {kind}",
                    normal_side=normal_side_of(kind),
                    allow_negative=True,
                )
            )
    FundAccount.objects.bulk_create(accounts, batch_size=1000)
    pairs = {}
    for account in FundAccount.objects.filter(org__in=unions).order_by("pk"):
        pairs.setdefault(account.org_id, []).append(account.pk)
    kinds = ["allocation", "activities.subsidy", "assistance.help", "mutualaid.payout"]
    count = entries // 2
    rng = random.Random(3)
    span = YEARS * 365 * 86400
    stamp = now.isoformat()
    plan = []
    for t in range(1, count + 1):
        union = unions[rng.randrange(len(unions))]
        at = (now - dt.timedelta(seconds=rng.randrange(span))).isoformat()
        plan.append((t, union.pk, kinds[t % len(kinds)], at, rng.randrange(100, 500_000)))
    sql("SET session_replication_role = replica")  # the deferred zero-sum triggers (see top)
    try:
        copy_rows(
            "funds_ledgertransaction",
            [
                "id",
                "org_id",
                "kind",
                "memo",
                "occurred_at",
                "source_type",
                "source_id",
                "created_at",
            ],
            (
                f"{t}\t{org}\t{kind}\t\t{at}\tbench.txn\t{t}\t{stamp}\n"
                for t, org, kind, at, _ in plan
            ),
        )

        def lines() -> Any:
            for t, org, _kind, at, amount in plan:
                debit, credit = pairs[org][1], pairs[org][0]  # bank debited, funds credited
                yield f"{t}\t{debit}\t{amount}\t{at}\n"
                yield f"{t}\t{credit}\t{-amount}\t{at}\n"

        written = copy_rows(
            "funds_ledgerentry",
            ["transaction_id", "account_id", "amount_fen", "occurred_at"],
            lines(),
        )
    finally:
        sql("SET session_replication_role = DEFAULT")
    sql(
        "SELECT setval(pg_get_serial_sequence('funds_ledgertransaction', 'id'), "
        "(SELECT MAX(id) FROM funds_ledgertransaction))"
    )
    unbalanced = sql(
        "SELECT COUNT(*) FROM (SELECT transaction_id FROM funds_ledgerentry GROUP BY 1 "
        "HAVING SUM(amount_fen) <> 0 OR COUNT(*) < 2) x"
    )[0][0]
    if unbalanced:
        raise SystemExit(f"{unbalanced} unbalanced ledger transactions")
    sql(
        "UPDATE funds_fundaccount a SET balance_fen = s.total * "
        "(CASE a.normal_side WHEN 'debit' THEN 1 ELSE -1 END) FROM (SELECT account_id, "
        "SUM(amount_fen) AS total FROM funds_ledgerentry GROUP BY 1) s WHERE a.id = s.account_id"
    )
    return written


# --- reads --------------------------------------------------------------------------------------


def dashboard_routes() -> list[tuple[str, list[dict[str, Any]]]]:
    """GET paths of the ninja API under /api/v1/dashboard, with their parameters."""
    from gonghui.api import api

    schema = api.get_openapi_schema()
    out = []
    for path, ops in schema.get("paths", {}).items():
        if path.startswith("/api/v1/dashboard") and "get" in ops:
            out.append((path, ops["get"].get("parameters", [])))
    return sorted(out)


def fill(path: str, parameters: list[dict[str, Any]], org: Any, start: dt.date, end: dt.date, period: str) -> tuple[str, dict[str, str]]:  # fmt: skip
    """The URL and query of a route for an org and period, by the usual parameter names."""
    values = {
        "org": str(org.pk),
        "org_id": str(org.pk),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "date_from": start.isoformat(),
        "date_to": end.isoformat(),
        "period": period,
        "year": str(start.year),
        "month": f"{start.year}-{start.month:02d}",
    }
    query = {}
    for p in parameters:
        name = p.get("name", "")
        if name in values:
            if p.get("in") == "path":
                path = path.replace("{" + name + "}", values[name])
            else:
                query[name] = values[name]
    return path, query


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    call()  # warm-up
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    url = bench_database_url(args.database_url)
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/dashboard.py runs on PostgreSQL only (--database-url postgres://…)")
    recreate_database(url)
    var = tempfile.mkdtemp(prefix="gonghui-bench-dashboard-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "gonghui.settings",
            "GONGHUI_VAR_DIR": var,
            "DATABASE_URL": url,
            "GONGHUI_TASKS_INLINE": "true",
            "GONGHUI_SMS_BACKEND": "gonghui.core.sms.MemorySmsBackend",
            "GONGHUI_LOG_LEVEL": "WARNING",
        }
    )
    for name in ("REDIS_URL", "DATABASE_MIGRATE_URL", "DATABASE_REPLICA_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from gonghui.core.timeutil import SHANGHAI, now
    from gonghui.dashboard import rollups
    from gonghui.dashboard.services import rollup_rebuild
    from gonghui.members import figures, servicekinds
    from gonghui.members.models import Member
    from gonghui.orgs.models import Role, RoleAssignment

    if connection.vendor != "postgresql":
        raise SystemExit("bench/dashboard.py runs on PostgreSQL only")
    n_members = max(100, int(MEMBERS * args.scale))
    n_events = max(1000, int(EVENTS * args.scale))
    n_entries = max(100, int(LEDGER_ENTRIES * args.scale))
    print(
        f"database {urlsplit(url).path.lstrip('/')}; scale {args.scale}: {n_members:,} members, "
        f"{n_events:,} events, {n_entries:,} ledger entries",
        flush=True,
    )
    started = now()
    with Step("migrate"):
        call_command("migrate", verbosity=0)
    with Step(f"org tree (1 + {DISTRICTS} + {DISTRICTS * UNIONS_PER_DISTRICT})"):
        root, districts, unions = make_tree()
    with Step(f"COPY {n_members:,} members"):
        copy_rows("members_member", MEMBER_COLUMNS, member_lines(n_members, unions, started))
    members = list(Member.objects.order_by("pk").values_list("pk", "org_id"))
    with Step(f"COPY {n_events:,} service events"):
        copy_rows("members_serviceevent", EVENT_COLUMNS, event_lines(n_events, members, started))
    with Step(f"COPY {n_entries:,} ledger entries"):
        make_ledger(n_entries, unions, started)
    comp_kinds = [k.kind for k in servicekinds.specs() if k.is_compensation]
    marks = ", ".join(["%s"] * len(comp_kinds))
    with Step("member activity (one row per member and local day with an event)"):
        sql(
            "INSERT INTO members_memberactivity (member_id, day, org_id, via, first_at) "  # noqa: S608 - our own table names; values are parameters
            "SELECT member_id, (occurred_at AT TIME ZONE 'Asia/Shanghai')::date, MIN(org_id), "
            f"'service', MIN(occurred_at) FROM members_serviceevent WHERE kind NOT IN ({marks}) "
            "GROUP BY 1, 2",
            comp_kinds,
        )
    with Step("VACUUM ANALYZE"):
        sql("VACUUM ANALYZE")
    activity_rows = sql("SELECT COUNT(*) FROM members_memberactivity")[0][0]
    compensations = sql(
        f"SELECT COUNT(*) FROM members_serviceevent WHERE kind IN ({marks})",  # noqa: S608
        comp_kinds,
    )[0][0]
    print(f"  {activity_rows:,} member-activity rows; {compensations:,} compensations")

    with Step("rebuild the roll-ups") as rebuild:
        rollup_rebuild(progress=lambda m: print(f"    {m}", flush=True))
    sql("ANALYZE")

    # --- reads ----------------------------------------------------------------------------------
    today = started.astimezone(SHANGHAI).date()
    month_end = today.replace(day=1)
    month_start = (month_end - dt.timedelta(days=1)).replace(day=1)
    year_start, year_end = dt.date(today.year - 1, 1, 1), dt.date(today.year, 1, 1)
    periods = {
        "month": (month_start, month_end),
        "year": (year_start, year_end),
    }
    leaf = unions[len(unions) // 2]
    orgs = {"root": root, "district": districts[len(districts) // 2], "leaf": leaf}
    samples: dict[str, list[float]] = {}
    routes = dashboard_routes()
    if routes:
        user = get_user_model().objects.create_user(
            username="bench_fed_admin", password="pass-Word-123", is_staff=True
        )
        RoleAssignment.objects.create(user=user, org=root, role=Role.FEDERATION_ADMIN)
        client = Client()
        client.force_login(user)
        print(f"timing {len(routes)} dashboard API routes (GET, test client, federation admin)")
        for path, params in routes:
            for org_name, org in orgs.items():
                for period, (a, b) in periods.items():
                    url_path, query = fill(path, params, org, a, b - dt.timedelta(days=1), period)
                    status = client.get(url_path, query).status_code
                    if status != 200:
                        print(f"  {url_path} {query}: HTTP {status}, skipped")
                        continue
                    samples[f"{path} {org_name} {period}"] = timed(
                        lambda u=url_path, q=query: client.get(u, q), args.repeat
                    )
    else:
        print(
            "no /api/v1/dashboard routes in this branch yet: timing dashboard.rollups and every "
            "members.figures figure instead"
        )

        def at(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)

        for org_name, org in orgs.items():
            for period, (a, b) in periods.items():
                span = {"org": org, "start": at(a), "end": at(b)}
                days = {"org": org, "start": a, "end": b - dt.timedelta(days=1)}
                calls: dict[str, Callable[[], Any]] = {
                    "rollups.person_times_by_kind": lambda s=span: rollups.person_times_by_kind(
                        **s
                    ),
                    "rollups.amounts_by_kind": lambda s=span: rollups.amounts_by_kind(**s),
                    "rollups.active_members": lambda d=days: rollups.active_members(**d),
                    "rollups.active_by_day": lambda d=days: rollups.active_by_day(**d),
                }
                query = figures.Query(org=org, start=at(a), end=at(b))
                for figure in figures.figures():
                    calls[figure.key] = lambda f=figure, q=query: f.compute(q)
                for name, call in calls.items():
                    samples[f"{name} {org_name} {period}"] = timed(call, args.repeat)
    everything = sorted(t for times in samples.values() for t in times)
    p50 = statistics.median(everything) if everything else 0.0
    p99 = everything[min(len(everything) - 1, int(len(everything) * 0.99))] if everything else 0.0
    slowest = sorted(samples.items(), key=lambda kv: -statistics.median(kv[1]))[:8]
    for name, times in slowest:
        print(f"  {name:<70} median {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms")

    # --- 月活 equals a brute-force DISTINCT count -----------------------------------------------
    mau_exact = True
    for org_name, org in orgs.items():
        for period, (a, b) in periods.items():
            last = b - dt.timedelta(days=1)
            got = rollups.active_members(org=org, start=a, end=last)
            want = sql(
                "SELECT COUNT(DISTINCT a.member_id) FROM members_memberactivity a "
                "JOIN orgs_org o ON o.id = a.org_id WHERE o.path LIKE %s AND a.day >= %s "
                "AND a.day <= %s",
                [org.path + "%", a, last],
            )[0][0]
            print(f"  月活 {org_name:<8} {period:<5} roll-ups {got:>9,}  DISTINCT {want:>9,}")
            mau_exact = mau_exact and got == want
    print(
        f"{len(samples)} reads × {args.repeat}: p50 {p50:.1f} ms (target < 100), p99 {p99:.1f} ms "
        f"(target < 300); rebuild {rebuild.seconds:.1f} s (target < 300); MAU exact: {mau_exact}"
    )
    if not args.keep:
        from django.db import connections

        connections.close_all()
        parts = urlsplit(url)
        import psycopg

        admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
    print(
        json.dumps(
            {
                "events": n_events,
                "p50_ms": round(p50, 1),
                "p99_ms": round(p99, 1),
                "rebuild_s": round(rebuild.seconds, 1),
                "mau_exact": mau_exact,
                "reads": len(samples),
                "api_routes": len(routes),
            }
        )
    )


if __name__ == "__main__":
    main()
