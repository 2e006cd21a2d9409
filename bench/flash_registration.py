"""Benchmark: a flash registration — 5,000 members register at once for 500 places, through
gunicorn on PostgreSQL, against pgbench measured in the same run.

    python bench/flash_registration.py [--members 5000] [--places 500] [--clients 200]
                                       [--workers N] [--database-url URL] [--pgbench-seconds 10]

What it does, in one run:

1. Sets up a database of its own, dropped and created again, then migrated: ``--database-url``,
   or ``GONGHUI_BENCH_FLASH_DATABASE_URL``, or the server of ``DATABASE_URL`` with the name
   ``gonghui_bench_flash``, or ``postgres://postgres@127.0.0.1:5432/gonghui_bench_flash``.
   Its name must contain "bench", because it is dropped (the pgbench scratch database too).
2. Production settings (``gonghui.settings`` with ``GONGHUI_ENV=production``, fresh secrets,
   DEBUG off, Redis for the cache when it answers). No test-only path exists in the server:
   members are signed in the way the H5 leaves them after the SMS sign-in — a Django session
   holding the member key, created here directly with Django's session store (the same
   database table the server reads) — and each sends the CSRF cookie and header like the page.
3. Creates a federation, a grassroots union, ``--members`` members (sealed personal data, bulk
   insert) and one first-come activity with one session of ``--places`` places and a waitlist.
4. Starts gunicorn (``--workers``, default 2 × cores + 1, sync) and ``--clients`` client threads
   (keep-alive connections), released together by a barrier; each sends its share of
   ``POST /api/v1/activities/sessions/{id}/register``, one per member, as fast as answers come.
   Latency is measured per request, from send to full answer.
5. Checks the result exactly: ``--places`` confirmed, everyone else waitlisted at positions
   1..N without gaps or duplicates, places left 0, one service event per confirmed place.
6. Runs ``pgbench -N`` on the same server (as bench/redeem.py does).
7. Prints the figures and, as its LAST line, one JSON object: ``{"registrations_per_s",
   "p99_ms", "confirmed", "pgbench_tps", "ratio_to_pgbench"}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from redeem import (  # noqa: E402 - after the path set-up
    free_port,
    percentile,
    production_env,
    recreate_database,
    redis_answers,
    run_pgbench,
    wait_ready,
    with_db,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gonghui_bench_flash"


def bench_database_url(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("GONGHUI_BENCH_FLASH_DATABASE_URL"):
        return os.environ["GONGHUI_BENCH_FLASH_DATABASE_URL"]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(base)
        return urlunsplit((parts.scheme, parts.netloc, "/gonghui_bench_flash", parts.query, ""))
    return DEFAULT_URL


def set_up(members: int, places: int) -> tuple[int, list[str]]:
    """Orgs, members, their signed-in sessions, the activity. Returns (session id, session keys)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session as DjangoSession

    from gonghui.activities import services
    from gonghui.activities.models import Activity, Allocation, Kind
    from gonghui.core import timeutil
    from gonghui.core.identifiers import make_id_number, parse_id_number
    from gonghui.members.models import Member
    from gonghui.members.pii import seal
    from gonghui.members.services import member_numbers
    from gonghui.members.session import SESSION_MEMBER_KEY
    from gonghui.orgs.models import Org
    from gonghui.orgs.services import org_create

    fed = org_create(
        parent=None,
        name="基准测试市总工会",
        code="BF",
        kind=Org.Kind.FEDERATION,
        region_code="331021",
    )
    union = org_create(
        parent=fed,
        name="基准测试基层工会",
        code="BF-1",
        kind=Org.Kind.GRASSROOTS,
        region_code="331021",
    )
    first = dt.date(1970, 1, 1)
    rows = []
    for i, no in enumerate(member_numbers(members)):
        parsed = parse_id_number(
            make_id_number(
                region="331021", birth=first + dt.timedelta(days=i % 12000), seq=i // 12000
            )
        )
        rows.append(
            Member(
                member_no=no,
                name=f"会员{i}",
                gender=parsed.gender,
                birth_date=parsed.birth_date,
                org=union,
                joined_on=timeutil.local_today(),
                **seal(id_number=parsed.number, phone=f"137{i:08d}").as_fields(),
            )
        )
    created = Member.objects.bulk_create(rows, batch_size=1000)
    now = timeutil.now()
    activity = Activity.objects.create(
        org=fed,
        kind=Kind.SPORTS_CULTURE,
        title="职工音乐会（抢票）",
        allocation=Allocation.FIRST_COME,
        registration_opens=now - dt.timedelta(minutes=1),
        registration_closes=now + dt.timedelta(hours=2),
        is_published=True,
    )
    session = services.session_create(
        actor=None,
        activity=activity,
        starts_at=now + dt.timedelta(days=7),
        ends_at=now + dt.timedelta(days=7, hours=2),
        place="玉环市职工文化中心",
        capacity=places,
    )
    # Signed-in sessions, as members.session.member_login leaves them (one row each).
    store = SessionStore()
    expiry = store.get_expiry_date()
    keys, session_rows = [], []
    for m in created:
        key = store._get_new_session_key()
        keys.append(key)
        session_rows.append(
            DjangoSession(
                session_key=key,
                session_data=store.encode({SESSION_MEMBER_KEY: m.pk}),
                expire_date=expiry,
            )
        )
    DjangoSession.objects.bulk_create(session_rows, batch_size=1000)
    return session.pk, keys


class Client(threading.Thread):
    def __init__(self, *, port: int, session_id: int, keys: list[str], barrier: threading.Barrier):
        super().__init__(daemon=True)
        self.port, self.session_id, self.keys, self.barrier = port, session_id, keys, barrier
        self.latencies: list[float] = []
        self.answers: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.done_at = 0.0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        path = f"/api/v1/activities/sessions/{self.session_id}/register"
        self.barrier.wait()
        for key in self.keys:
            headers = {
                "Content-Type": "application/json",
                "Host": "127.0.0.1",
                "Cookie": f"sessionid={key}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
            }
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body="{}", headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
                continue
            self.latencies.append(time.perf_counter() - t0)
            if response.status == 201:
                status = json.loads(data).get("status", "?")
                self.answers[status] = self.answers.get(status, 0) + 1
            else:
                what = f"{response.status} {data[:80]!r}"
                self.errors[what] = self.errors.get(what, 0) + 1
        self.done_at = time.perf_counter()
        conn.close()


def check(session_id: int, members: int, places: int) -> tuple[bool, list[str], int]:
    from gonghui.activities.models import Registration, Session
    from gonghui.members.models import ServiceEvent

    session = Session.objects.get(pk=session_id)
    confirmed = Registration.objects.filter(session=session, status="confirmed").count()
    positions = list(
        Registration.objects.filter(session=session, status="waitlisted")
        .order_by("position")
        .values_list("position", flat=True)
    )
    events = ServiceEvent.objects.filter(kind="activities.registration").count()
    facts = [
        (confirmed == places, f"confirmed {confirmed:,} == places {places:,}"),
        (
            positions == list(range(1, members - places + 1)),
            f"waitlisted {len(positions):,} at positions 1..{members - places:,} without gaps",
        ),
        (session.places_left == 0, f"places left {session.places_left}"),
        (events == confirmed, f"service events {events:,} == confirmed"),
    ]
    return (
        all(ok for ok, _ in facts),
        [("ok    " if ok else "WRONG ") + t for ok, t in facts],
        confirmed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--places", type=int, default=500)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--database-url")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/10"
    )
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args()

    url = bench_database_url(args.database_url)
    redis_url = None if args.no_redis or not redis_answers(args.redis_url) else args.redis_url
    var_dir = Path(tempfile.mkdtemp(prefix="gonghui-bench-flash-"))
    env = production_env(url, var_dir, redis_url)
    env["DJANGO_SETTINGS_MODULE"] = "gonghui.settings"
    os.environ.update(env)
    parts = urlsplit(url)
    print(
        f"database: {parts.hostname}:{parts.port or 5432}{parts.path} (dropped and created again)"
    )
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    session_id, keys = set_up(args.members, args.places)
    print(
        f"set-up: {args.members:,} members signed in, one session of {args.places:,} places: "
        f"{time.perf_counter() - t:.1f} s"
    )
    connection.close()

    port = free_port()
    gunicorn = [
        str(Path(sys.executable).with_name("gunicorn")),
        "gonghui.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--error-logfile",
        str(var_dir / "gunicorn.log"),
        "--keep-alive",
        "5",
        "--backlog",
        "2048",
        "--timeout",
        "120",
        "--preload",
    ]
    server_env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(gunicorn, env=server_env, cwd=str(ROOT))
    try:
        wait_ready(port, proc)
        barrier = threading.Barrier(args.clients + 1)
        shares = [keys[i :: args.clients] for i in range(args.clients)]
        clients = [
            Client(port=port, session_id=session_id, keys=s, barrier=barrier) for s in shares
        ]
        for c in clients:
            c.start()
        print(
            f"gunicorn: {args.workers} sync workers ({os.cpu_count()} cores); "
            f"{args.clients} clients send {args.members:,} registrations at once"
        )
        barrier.wait()
        t0 = time.perf_counter()
        for c in clients:
            c.join()
        wall = max(c.done_at for c in clients) - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    latencies = sorted(x for c in clients for x in c.latencies)
    answers: dict[str, int] = {}
    errors: dict[str, int] = {}
    for c in clients:
        for k, n in c.answers.items():
            answers[k] = answers.get(k, 0) + n
        for k, n in c.errors.items():
            errors[k] = errors.get(k, 0) + n
    ok, lines, confirmed = check(session_id, args.members, args.places)
    rate = sum(answers.values()) / wall if wall > 0 else 0.0
    p50 = percentile(latencies, 50) * 1000
    p99 = percentile(latencies, 99) * 1000
    print(f"answers: {answers}; errors: {errors or 'none'}")
    print(
        f"{sum(answers.values()):,} registrations in {wall:.2f} s: {rate:,.0f}/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms"
    )
    for line in lines:
        print(line)
    connection.close()
    pg_url = with_db(url, urlsplit(url).path.lstrip("/") + "_pgbench")
    tps = run_pgbench(pg_url, args.pgbench_seconds)
    print(f"pgbench -N -c 8 -j 2 -T {args.pgbench_seconds}: {tps:,.0f} tps")
    print(
        json.dumps(
            {
                "registrations_per_s": round(rate, 1),
                "p99_ms": round(p99, 1),
                "confirmed": confirmed,
                "pgbench_tps": round(tps, 1),
                "ratio_to_pgbench": round(rate / tps, 4) if tps else None,
            }
        )
    )
    if not ok or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
