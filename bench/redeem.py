"""Benchmark: verify + redeem through the HTTP API, 32 simulated terminals, against pgbench.

    python bench/redeem.py [--seconds 20] [--terminals 32] [--members-per-terminal 40]
                           [--workers N] [--worker-class sync|gthread] [--database-url URL]
                           [--pgbench-seconds 10] [--no-redis] [--profile] [--ceiling]

What it does, in one run:

1. Sets up a database of its own, dropped and created again, then migrated: ``--database-url``,
   or ``GONGHUI_BENCH_REDEEM_DATABASE_URL``, or the server of ``DATABASE_URL`` with the name
   ``gonghui_bench_redeem``, or ``postgres://postgres@127.0.0.1:5432/gonghui_bench_redeem``.
   Its name must contain "bench", because it is dropped (the pgbench scratch database too:
   ``<name>_pgbench``).
2. Production settings: ``GONGHUI_ENV=production`` with freshly generated secrets,
   ``GONGHUI_ALLOWED_HOSTS=127.0.0.1``, ``GONGHUI_SSL_REDIRECT=false``, DEBUG off, Redis for the
   cache and the rate limits when it answers (``REDIS_URL``, default ``redis://127.0.0.1:6379/9``;
   ``--no-redis`` for local memory). One thing differs, in ``bench/redeem_settings.py``, which
   imports the production settings: the per-terminal scan limit (240 a minute, i.e. 4 a
   second — a real counter scans one member every few seconds) is lifted, because each
   simulated terminal here scans as fast as the server answers. The per-holder limit (20 a
   minute) stays: each terminal cycles through its own members (40 by default, enough for
   13 scans a second per terminal, 427 a second in all; raise ``--members-per-terminal`` on a
   machine that goes faster, or the excess is refused with 429 and counted as errors).
3. Creates a federation with one grassroots union, a funded welfare fund, a merchant with one
   store per terminal and one POS terminal (with its key) per store, one union-paid offer
   (10% off, at most ¥10, stock 10,000,000, a budget of ¥100,000,000) and, per terminal, its
   own members with code credentials issued by ``codes.services.credential_issue`` — the bench
   keeps their seeds and derives fresh valid codes with ``codes.protocol`` (the member's phone
   would do the same).
4. Starts gunicorn on 127.0.0.1 (a free port), ``--workers`` sync workers (default cores + 2:
   gunicorn's usual 2 × cores + 1 measured slower here, where PostgreSQL and the load generator
   share the same cores and a descheduled worker holding a hot row stalls the others), and
   drives the terminals, one thread each with a keep-alive connection: each sends
   ``POST /api/v1/codes/scan`` (terminal key, a new Idempotency-Key, a fresh code of its next
   member, a random bill of ¥10–¥200) as fast as answers come, for ``--seconds`` after a warm-up
   that is not counted (until every terminal has had its first answer, then 3 s). Latency is measured per request, from send to full answer.
5. Checks that ledger and stock are exactly consistent: redemptions == approvals the terminals
   saw; stock left + redemptions == initial stock; budget spent == sum of the subsidies; the
   payable to the merchant == the same sum; ``funds.selectors.ledger_verify`` finds nothing.
6. Runs ``pgbench -N`` (simple-update, the TPC-B-like script without the updates of the two
   small tables) on the same server: ``pgbench -i -s 10`` on the scratch database, then
   ``-c 8 -j 2 -T --pgbench-seconds``.
7. Prints the figures and, as its LAST line, one JSON object: ``{"redemptions_per_s",
   "p50_ms", "p99_ms", "errors", "pgbench_tps", "ratio_to_pgbench"}``.

Target (issue 3): ratio ≥ 0.25 with p99 ≤ 100 ms and 0 errors. ``--chain`` (issue 10) splits the
measured window into ABBA windows with the hash-chain sealer running every ``--seal-every`` seconds
(60 times the beat's pace) or not, and prints ``chain_ratio``, the median redemptions/s of the
windows with the sealer over those without (target ≥ 0.95). ``--profile`` also runs 300
scans in this process under cProfile and prints the query count per scan and the top functions.
``--ceiling`` also measures, with the same clients against the same server, an endpoint that
does no work at all (``GET /api/v1/health``): the most any endpoint can reach in this harness
on this machine, printed as ``stack_ceiling_per_s`` and ``stack_ceiling_ratio``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import math
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gonghui_bench_redeem"
STOCK = 10_000_000
BUDGET_FEN = 10_000_000_000  # ¥100,000,000
WARMUP_SECONDS = 3.0  # after every terminal has had its first answer


def bench_database_url(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("GONGHUI_BENCH_REDEEM_DATABASE_URL"):
        return os.environ["GONGHUI_BENCH_REDEEM_DATABASE_URL"]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(base)
        return urlunsplit((parts.scheme, parts.netloc, "/gonghui_bench_redeem", parts.query, ""))
    return DEFAULT_URL


def with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def recreate_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    with psycopg.connect(with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        return
    with psycopg.connect(with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def production_env(url: str, var_dir: Path, redis_url: str | None) -> dict[str, str]:
    env = {
        "GONGHUI_ENV": "production",
        "GONGHUI_SECRET_KEY": secrets.token_urlsafe(50),
        "GONGHUI_PII_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "GONGHUI_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "DATABASE_URL": url,
        "GONGHUI_ALLOWED_HOSTS": "127.0.0.1",
        "GONGHUI_SSL_REDIRECT": "false",
        "GONGHUI_DEBUG": "false",
        "GONGHUI_VAR_DIR": str(var_dir),
        "GONGHUI_LOG_LEVEL": "WARNING",
        "GONGHUI_SMS_BACKEND": "bench_sms.BenchSmsBackend",
        "DJANGO_SETTINGS_MODULE": "redeem_settings",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


# --- set-up (in this process, same settings as the server) -----------------------------------


class Holder:
    """A member's credential as the phone holds it: id, seed, and the last (step, seq) used."""

    __slots__ = ("credential_id", "seed", "seq", "step")

    def __init__(self, credential_id: int, seed: bytes) -> None:
        self.credential_id = credential_id
        self.seed = seed
        self.step = 0
        self.seq = -1

    def next_code(self) -> str:
        from gonghui.codes import protocol

        step = protocol.time_step(time.time())
        if step != self.step:
            self.step, self.seq = step, 0
        else:
            self.seq += 1
        return protocol.encode(
            seed=self.seed, credential_id=self.credential_id, step=self.step, seq=self.seq
        )


def set_up(
    terminals: int,
    per_terminal: int,
    *,
    stock: int = STOCK,
    budget_fen: int = BUDGET_FEN,
    limit_per_day: int | None = None,
) -> tuple[list[tuple[str, list[Holder]]], int]:
    """Org, funds, merchant, stores, terminals, offer, members with credentials.

    Returns [(terminal key, holders)] and the offer's id. Also used by the fault test
    (``tests/security/test_fault_redeem.py``) with a small stock and a per-member limit."""
    from gonghui.benefits.models import Merchant, Offer, OfferKind, Payer, Store
    from gonghui.benefits.services import CONTEXT_TYPE
    from gonghui.codes import services as codes
    from gonghui.core.identifiers import make_id_number, make_uscc, parse_id_number
    from gonghui.funds import services as funds
    from gonghui.funds.models import AccountKind
    from gonghui.members.services import member_create
    from gonghui.orgs.models import Org
    from gonghui.orgs.services import org_create

    fed = org_create(
        parent=None,
        name="基准测试市总工会",
        code="BR",
        kind=Org.Kind.FEDERATION,
        region_code="331021",
    )
    union = org_create(
        parent=fed,
        name="基准测试基层工会",
        code="BR-1",
        kind=Org.Kind.GRASSROOTS,
        region_code="331021",
    )
    bank = funds.account_open(org=fed, kind=AccountKind.BANK)
    welfare = funds.account_open(org=fed, kind=AccountKind.WELFARE)
    funds.fund_allocate(org=fed, from_account=bank, to_account=welfare, amount_fen=budget_fen)
    budget = funds.budget_create(
        org=fed, name="基准测试优惠预算", account=welfare, cap_fen=budget_fen, scope_kind="offer"
    )
    merchant = Merchant.objects.create(
        org=fed, name="基准测试连锁超市", uscc=make_uscc("91331021987654321")
    )
    offer = Offer.objects.create(
        merchant=merchant,
        org=fed,
        title="会员九折",
        kind=OfferKind.PERCENT,
        percent_bp=1000,
        max_subsidy_fen=1000,
        payer=Payer.UNION,
        budget=budget,
        stock_total=stock,
        stock_left=stock,
        limit_per_day=limit_per_day,
    )
    out: list[tuple[str, list[Holder]]] = []
    n = 0
    first = dt.date(1970, 1, 1)
    for t in range(terminals):
        store = Store.objects.create(merchant=merchant, name=f"门店{t + 1}", region_code="331021")
        _terminal, key = codes.terminal_create(
            actor=None,
            org=fed,
            kind="pos",
            name=f"收银台{t + 1}",
            context_type=CONTEXT_TYPE,
            context_id=str(store.pk),
        )
        holders = []
        for _ in range(per_terminal):
            n += 1
            number = make_id_number(
                region="331021", birth=first + dt.timedelta(days=n % 12000), seq=n // 12000
            )
            parsed = parse_id_number(number)
            member = member_create(
                name=f"会员{n}",
                id_number=parsed.number,
                phone=f"138{n:08d}",
                birth_date=parsed.birth_date,
                gender=parsed.gender,
                org=union,
            )
            credential, seed = codes.credential_issue(member=member)
            holders.append(Holder(credential.pk, seed))
        out.append((key, holders))
    return out, offer.pk


# --- load -------------------------------------------------------------------------------------


class Window:
    """The measured window; open-ended until every terminal has had its first answer (each
    gunicorn worker builds its URLconf and API on its first request)."""

    def __init__(self) -> None:
        self.start_at = math.inf
        self.stop_at = math.inf


class Terminal(threading.Thread):
    def __init__(self, *, port: int, key: str, holders: list[Holder], window: Window) -> None:
        super().__init__(daemon=True)
        self.port, self.key, self.holders = port, key, holders
        self.window = window
        self.latencies: list[float] = []
        self.approved = 0
        self.ok_at: list[float] = []  # send times of the measured approvals (for --chain)
        self.sent = 0
        self.waited = 0.0  # seconds spent waiting for answers, warm-up included
        self.errors: dict[str, int] = {}
        self.rng = random.Random(key)

    def _error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        i = 0
        while True:
            now = time.perf_counter()
            if now >= self.window.stop_at:
                break
            holder = self.holders[i % len(self.holders)]
            i += 1
            body = json.dumps(
                {"code": holder.next_code(), "payload": {"bill_fen": self.rng.randint(1000, 20000)}}
            )
            headers = {
                "Authorization": f"Terminal {self.key}",
                "Idempotency-Key": uuid.uuid4().hex,
                "Content-Type": "application/json",
                "Host": "127.0.0.1",
            }
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/codes/scan", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if t0 >= self.window.start_at:
                    self._error(type(exc).__name__)
                continue
            elapsed = time.perf_counter() - t0
            self.sent += 1
            self.waited += elapsed
            ok = status == 200 and json.loads(data).get("ok") is True
            if ok:
                self.approved += 1  # counted during the warm-up too: the database holds them
            if t0 < self.window.start_at or t0 >= self.window.stop_at:
                continue
            self.latencies.append(elapsed)
            if ok:
                self.ok_at.append(t0)
            else:
                try:
                    reason = json.loads(data).get("code", "")
                except ValueError:
                    reason = ""
                self._error(f"{status} {reason}".strip())
        conn.close()


def stack_ceiling(port: int, clients: int, seconds: float) -> float:
    """Answers a second of ``GET /api/v1/health`` (no database, no cache) from ``clients``
    keep-alive threads like the terminals: what this server, middleware stack and load generator
    can do at all on this machine, the upper bound of any endpoint's rate in this harness."""
    stop_at = time.perf_counter() + 1.0 + seconds
    start_at = time.perf_counter() + 1.0
    counts = [0] * clients

    def run(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (now := time.perf_counter()) < stop_at:
            conn.request("GET", "/api/v1/health", headers={"Host": "127.0.0.1"})
            conn.getresponse().read()
            if now >= start_at:
                counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sum(counts) / seconds


class Sealer(threading.Thread):
    """``--chain``: seals the hash chains (``core.chain.chain_seal``, what the beat task runs
    every 60 s) every ``every`` seconds during the windows marked on, and not at all during the
    others; the redemptions of both kinds of window are then compared."""

    def __init__(self, *, windows: list[tuple[float, float, bool]], every: float) -> None:
        super().__init__(daemon=True)
        self.windows, self.every = windows, every
        self.seals = 0
        self.rows = 0
        self.runs = 0

    def run(self) -> None:
        from django.db import connection

        from gonghui.core.chain import chain_seal

        end = self.windows[-1][1]
        while (now := time.perf_counter()) < end:
            if any(a <= now < b and on for a, b, on in self.windows):
                made = chain_seal()
                self.runs += 1
                self.seals += len(made)
                self.rows += sum(m.rows for m in made)
                time.sleep(self.every)
            else:
                time.sleep(0.02)
        connection.close()


def chain_windows(start: float, seconds: float, pairs: int) -> list[tuple[float, float, bool]]:
    """Alternating windows off/on in ABBA order (off, on, on, off, …), so that a load that drifts
    during the run weighs on both kinds alike."""
    n = 2 * pairs
    width = seconds / n
    pattern = [False, True, True, False]
    return [(start + i * width, start + (i + 1) * width, pattern[i % 4]) for i in range(n)]


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within a minute")


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


# --- consistency ------------------------------------------------------------------------------


def consistency(offer_id: int, approved: int) -> tuple[bool, list[str]]:
    from django.db.models import Sum

    from gonghui.benefits.models import Offer, Redemption
    from gonghui.funds.models import AccountKind, FundAccount
    from gonghui.funds.selectors import ledger_verify
    from gonghui.members.models import ServiceEvent

    offer = Offer.objects.select_related("budget").get(pk=offer_id)
    reds = Redemption.objects.filter(offer=offer, status=Redemption.Status.ACTIVE)
    count = reds.count()
    subsidy = int(reds.aggregate(s=Sum("subsidy_fen"))["s"] or 0)
    payable = FundAccount.objects.get(kind=AccountKind.MERCHANT_PAYABLE)
    events = ServiceEvent.objects.filter(kind="benefits.redemption").count()
    check = ledger_verify()
    assert offer.budget is not None
    facts = [
        (
            count == approved,
            f"redemptions {count:,} == approvals seen by the terminals {approved:,}",
        ),
        (
            offer.stock_left + count == offer.stock_total,
            f"stock left {offer.stock_left:,} + redemptions {count:,} == initial {offer.stock_total:,}",
        ),
        (
            offer.budget.spent_fen == subsidy,
            f"budget spent {offer.budget.spent_fen:,} fen == sum of subsidies {subsidy:,} fen",
        ),
        (
            payable.balance_fen == subsidy,
            f"payable to the merchant {payable.balance_fen:,} fen == sum of subsidies",
        ),
        (events == count, f"service events {events:,} == redemptions"),
        (
            check.ok,
            f"ledger_verify: {check.accounts_checked} accounts, {len(check.mismatches)} mismatches, "
            f"{len(check.unbalanced_transactions)} unbalanced transactions",
        ),
    ]
    return all(ok for ok, _ in facts), [("ok    " if ok else "WRONG ") + text for ok, text in facts]


# --- pgbench ----------------------------------------------------------------------------------


def run_pgbench(url: str, seconds: int) -> float:
    exe = shutil.which("pgbench") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None
    )
    if exe is None:
        raise SystemExit("pgbench is needed (apt-get install postgresql-client)")
    recreate_database(url)
    parts = urlsplit(url)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    conn = [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    name = parts.path.lstrip("/")
    subprocess.run(
        [exe, "-i", "-q", "-s", "10", *conn, name], env=env, check=True, capture_output=True
    )
    out = subprocess.run(
        [exe, "-N", "-c", "8", "-j", "2", "-T", str(seconds), *conn, name],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    drop_database(url)
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out) or re.search(
        r"tps = ([0-9.]+)", out
    )
    if not m:
        raise SystemExit("could not read pgbench's tps:\n" + out)
    return float(m.group(1))


# --- profile ----------------------------------------------------------------------------------


def profile(holders: list[Holder], key: str, n: int = 300) -> None:
    import cProfile
    import pstats

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gonghui.codes import selectors, services

    # In-process and one at a time: the rate limits are not what is profiled here.
    settings.GONGHUI_CODES_RATE_LIMITS = {"terminal": (10**9, 60), "holder": (10**9, 60)}

    terminal = selectors.terminal_by_key(key)
    assert terminal is not None

    def one(i: int) -> None:
        holder = holders[i % len(holders)]
        result = services.scan_code(
            terminal=terminal,
            code=holder.next_code(),
            payload={"bill_fen": 5000},
            idempotency_key=uuid.uuid4().hex,
        )
        if result.status != 200:
            raise SystemExit(f"profile scan refused: {result.body}")

    with CaptureQueriesContext(connection) as queries:
        one(0)
    sqls = [q["sql"] for q in queries.captured_queries]
    print(f"\nprofile: one scan = {len(sqls)} SQL statements (round trips):")
    for q in queries.captured_queries:
        print(f"  {q['time']}s  {q['sql'][:150]}")
    hot = next((i for i, q in enumerate(sqls) if q.startswith('UPDATE "benefits_offer"')), None)
    if hot is not None:
        held = (
            len(sqls)
            - hot
            - 1
            - sum(1 for q in sqls[hot:] if q.startswith('UPDATE "codes_terminal"'))
        )
        savepoints = sum(1 for q in sqls if q.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")))
        print(
            f"profile: {held} round trips (COMMIT included) run while the offer's row is locked; "
            f"{savepoints} of the {len(sqls)} statements are SAVEPOINT/RELEASE"
        )
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for i in range(1, n + 1):
        one(i)
    prof.disable()
    wall = time.perf_counter() - t
    print(f"profile: {n} scans in-process, one at a time: {wall / n * 1000:.2f} ms each")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--terminals", type=int, default=32)
    parser.add_argument("--members-per-terminal", type=int, default=40)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 2)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="per gthread worker")
    parser.add_argument("--database-url")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/9"
    )
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--chain",
        action="store_true",
        help="compare windows with the hash-chain sealer running and without (issue #10)",
    )
    parser.add_argument("--chain-pairs", type=int, default=4, help="off/on window pairs")
    parser.add_argument(
        "--seal-every", type=float, default=1.0, help="seconds between seals in an on window"
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also measure GET /api/v1/health (no database) with the same clients and server",
    )
    args = parser.parse_args()

    url = bench_database_url(args.database_url)
    redis_url = None if args.no_redis or not redis_answers(args.redis_url) else args.redis_url
    var_dir = Path(tempfile.mkdtemp(prefix="gonghui-bench-redeem-"))
    (var_dir / "staticfiles").mkdir()  # whitenoise looks for it; the API serves no static files
    env = production_env(url, var_dir, redis_url)
    os.environ.update(env)
    parts = urlsplit(url)
    print(
        f"database: {parts.hostname}:{parts.port or 5432}{parts.path} (dropped and created again)"
    )
    print(f"cache and rate limits: {redis_url or 'local memory (per worker)'}")
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - t:.1f} s")
    if redis_url:
        from django.core.cache import cache

        cache.clear()  # this bench's key prefix only (redeem_settings)

    t = time.perf_counter()
    fleet, offer_id = set_up(args.terminals, args.members_per_terminal)
    members = sum(len(h) for _k, h in fleet)
    print(
        f"set-up: {args.terminals} terminals (one store each), {members:,} members with "
        f"credentials, one offer: {time.perf_counter() - t:.1f} s"
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
        "--worker-class",
        args.worker_class,
        "--error-logfile",
        str(var_dir / "gunicorn.log"),
        "--keep-alive",
        "5",
        "--backlog",
        "512",
        "--preload",
    ]
    if args.worker_class == "gthread":
        gunicorn += ["--threads", str(args.threads)]
    server_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT / "src")]),
    }
    proc = subprocess.Popen(gunicorn, env=server_env, cwd=str(ROOT))
    try:
        wait_ready(port, proc)
        print(
            f"gunicorn: {args.workers} {args.worker_class} workers on 127.0.0.1:{port} "
            f"({os.cpu_count()} cores); load: {args.terminals} terminals for {args.seconds:g} s "
            f"after a warm-up (first answers + {WARMUP_SECONDS:g} s)"
        )
        window = Window()
        threads = [
            Terminal(port=port, key=key, holders=holders, window=window) for key, holders in fleet
        ]
        t_start = time.perf_counter()
        for th in threads:
            th.start()
        deadline = time.monotonic() + 120
        while any(th.sent == 0 for th in threads) and time.monotonic() < deadline:
            time.sleep(0.05)
        window.start_at = time.perf_counter() + WARMUP_SECONDS
        cpu0 = os.times()
        window.stop_at = window.start_at + args.seconds
        sealer = None
        if args.chain:
            windows = chain_windows(window.start_at, args.seconds, args.chain_pairs)
            sealer = Sealer(windows=windows, every=args.seal_every)
            sealer.start()
        for th in threads:
            th.join()
        if sealer is not None:
            sealer.join()
        t_total = time.perf_counter() - t_start
        cpu1 = os.times()
        ceiling = (
            stack_ceiling(port, args.terminals, max(args.seconds / 2, 3)) if args.ceiling else None
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    latencies = sorted(x for th in threads for x in th.latencies)
    errors: dict[str, int] = {}
    for th in threads:
        for what, n in th.errors.items():
            errors[what] = errors.get(what, 0) + n
    error_count = sum(errors.values())
    measured_ok = len(latencies) - sum(n for what, n in errors.items() if what[:1].isdigit())
    approved = sum(th.approved for th in threads)
    rate = measured_ok / args.seconds
    p50 = percentile(latencies, 50) * 1000
    p99 = percentile(latencies, 99) * 1000
    client_cpu = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
    print(
        f"requests: {len(latencies):,} in {args.seconds:g} s; approved {measured_ok:,} "
        f"({rate:,.1f}/s); errors {error_count} {errors if errors else ''}"
    )
    print(
        f"latency: p50 {p50:.1f} ms, p90 {percentile(latencies, 90) * 1000:.1f} ms, "
        f"p99 {p99:.1f} ms, max {latencies[-1] * 1000 if latencies else float('nan'):.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000 if latencies else float('nan'):.1f} ms"
    )
    sent = sum(th.sent for th in threads)
    waited = sum(th.waited for th in threads)
    print(
        f"terminal threads: {sent:,} answers in all (warm-up included), "
        f"{waited / (len(threads) * t_total) * 100:.0f}% of their time "
        "spent waiting for them"
    )
    print(
        f"load generator CPU: {client_cpu:.1f} s over the {args.seconds + WARMUP_SECONDS:g} s "
        f"(it shares the {os.cpu_count()} cores with the server)"
    )

    consistent, lines = consistency(offer_id, approved)
    print("after the run (all approvals, warm-up included):")
    for line in lines:
        print("  " + line)
    print("ledger and stock are exactly consistent" if consistent else "INCONSISTENT")

    if args.profile:
        profile(fleet[0][1], fleet[0][0])
    connection.close()

    tps = run_pgbench(
        with_db(url, urlsplit(url).path.lstrip("/") + "_pgbench"), args.pgbench_seconds
    )
    print(f"pgbench -N -c 8 -j 2 -T {args.pgbench_seconds} (scale 10): {tps:,.1f} tps")
    ratio = rate / tps if tps else 0.0
    target = ratio >= 0.25 and p99 <= 100 and error_count == 0 and consistent
    print(
        f"target (ratio >= 0.25, p99 <= 100 ms, 0 errors): {'met' if target else 'MISSED'} — "
        f"ratio {ratio:.3f}, p99 {p99:.1f} ms, {error_count} errors"
    )
    shutil.rmtree(var_dir, ignore_errors=True)
    figures = {
        "redemptions_per_s": round(rate, 1),
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "errors": error_count,
        "pgbench_tps": round(tps, 1),
        "ratio_to_pgbench": round(ratio, 3),
    }
    if sealer is not None:
        ok_at = [t for th in threads for t in th.ok_at]
        rates = {True: [], False: []}  # type: dict[bool, list[float]]
        for a, b, on in sealer.windows:
            rates[on].append(sum(1 for t in ok_at if a <= t < b) / (b - a))
        on_rate, off_rate = statistics.median(rates[True]), statistics.median(rates[False])
        chain_ratio = on_rate / off_rate if off_rate else 0.0
        print(
            f"hash chain: {len(sealer.windows)} windows of {args.seconds / len(sealer.windows):g} s"
            f" (ABBA); sealer on: {sealer.runs} runs every {args.seal_every:g} s, "
            f"{sealer.seals} seals over {sealer.rows:,} rows"
        )
        print(
            "  redemptions/s per window, sealer off: "
            + ", ".join(f"{r:.1f}" for r in rates[False])
            + "; on: "
            + ", ".join(f"{r:.1f}" for r in rates[True])
        )
        print(
            f"  median on / off: {on_rate:.1f} / {off_rate:.1f} = {chain_ratio:.3f} "
            f"(target >= 0.95: {'met' if chain_ratio >= 0.95 else 'MISSED'})"
        )
        figures["chain_on_per_s"] = round(on_rate, 1)
        figures["chain_off_per_s"] = round(off_rate, 1)
        figures["chain_ratio"] = round(chain_ratio, 3)
        figures["chain_rows_sealed"] = sealer.rows
    if ceiling is not None:
        print(
            f"stack ceiling (GET /api/v1/health, no database, same clients and server): "
            f"{ceiling:,.1f}/s, ratio to pgbench {ceiling / tps:.3f}"
        )
        figures["stack_ceiling_per_s"] = round(ceiling, 1)
        figures["stack_ceiling_ratio"] = round(ceiling / tps, 3) if tps else 0.0
    print(json.dumps(figures))
    if not consistent:
        sys.exit(1)


if __name__ == "__main__":
    main()
