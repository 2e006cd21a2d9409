"""A redemption burst through gunicorn on PostgreSQL with a worker killed (-9) mid-burst.

Gunicorn (2 sync workers) serves the test database on a free loopback port; threads fire 300
scans (fresh codes, one Idempotency-Key each) at 6 POS terminals; when a third of them have been
answered, one worker is killed with SIGKILL (the master starts another). A request that got no
answer is sent again with the same key and the same body until it is answered. Afterwards the
ledger, the offer's stock, the budget and the members' usage counters must agree exactly with the
answers the terminals saw: no redemption lost, none counted twice, nothing taken without one.

The set-up (org, funds, merchant, stores, terminals, offer, members with code credentials) and
the ledger/stock/budget check are bench/redeem.py's, so the benchmark and this test prove the
same thing.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection, connections

from tests.conftest import postgres_only

ROOT = Path(__file__).resolve().parents[2]
TERMINALS = 6
MEMBERS_PER_TERMINAL = 25
SCANS_PER_MEMBER = 2  # 6 x 25 x 2 = 300 scans
STOCK = 240  # fewer than the scans: the last 60 are refused, stock must end at exactly 0
KILL_AFTER = 100  # answers before the kill

pytestmark = [postgres_only(), pytest.mark.postgres]


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:") and int(line.split()[1]) == pid:
                out.append(int(entry))
    return sorted(out)


def _sockets(table_rows: list[str]) -> list[tuple[int, int, str, str]]:
    """(local port, remote port, state, inode) of /proc/net/tcp rows."""
    out = []
    for row in table_rows:
        fields = row.split()
        local = int(fields[1].rsplit(":", 1)[1], 16)
        remote = int(fields[2].rsplit(":", 1)[1], 16)
        out.append((local, remote, fields[3], fields[9]))
    return out


def _in_transaction(pids: list[int], db_port: int, cursor) -> list[int]:
    """The workers whose database session is inside a transaction now (mid-request)."""
    rows: list[str] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows += Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
    by_inode = {inode: local for local, remote, state, inode in _sockets(rows) if remote == db_port}
    cursor.execute(
        "SELECT client_port FROM pg_stat_activity WHERE xact_start IS NOT NULL "
        "AND pid <> pg_backend_pid() AND datname = current_database()"
    )
    busy_ports = {port for (port,) in cursor.fetchall()}
    busy = []
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds]
        except OSError:
            continue
        inodes = [link[len("socket:[") : -1] for link in links if link.startswith("socket:")]
        if any(by_inode.get(inode) in busy_ports for inode in inodes):
            busy.append(pid)
    return busy


class Burst:
    def __init__(self, port: int) -> None:
        self.port = port
        self.lock = threading.Lock()
        self.answered = 0
        self.retries = 0
        self.results: list[tuple[int, int, dict]] = []  # (credential id, status, body)

    def send(self, key: str, body: str) -> tuple[int, dict]:
        headers = {
            "Authorization": f"Terminal {key}",
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
            "Host": "127.0.0.1",
        }
        deadline = time.monotonic() + 60
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request("POST", "/api/v1/codes/scan", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                # The worker died under us: the same key and the same body again.
                if time.monotonic() > deadline:
                    raise
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)
                continue
            finally:
                conn.close()
            if status >= 500 and time.monotonic() < deadline:
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)
                continue
            return status, json.loads(data)

    def terminal(self, key: str, holders: list, seed: int) -> None:
        rng = random.Random(seed)
        for _round in range(SCANS_PER_MEMBER):
            for holder in holders:
                body = json.dumps(
                    {"code": holder.next_code(), "payload": {"bill_fen": rng.randint(1000, 20000)}}
                )
                status, answer = self.send(key, body)
                with self.lock:
                    self.results.append((holder.credential_id, status, answer))
                    self.answered += 1


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    from bench.redeem import wait_ready

    try:
        wait_ready(port, proc, timeout)
    except SystemExit as exc:  # the bench exits; a test fails
        pytest.fail(str(exc))


@pytest.mark.django_db(transaction=True)
def test_redemption_burst_survives_a_killed_worker(tmp_path, settings):
    from bench.redeem import consistency, free_port, set_up

    from gonghui.benefits.models import MemberOfferUsage, Offer, Redemption
    from gonghui.codes.models import Credential

    fleet, offer_id = set_up(
        TERMINALS, MEMBERS_PER_TERMINAL, stock=STOCK, limit_per_day=SCANS_PER_MEMBER
    )
    connections.close_all()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
    parts = urlsplit(base)
    database_url = urlunsplit(
        (parts.scheme, parts.netloc, "/" + connection.settings_dict["NAME"], parts.query, "")
    )
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GONGHUI_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "gonghui.settings",
        "PYTHONPATH": str(ROOT / "src"),
    }
    gunicorn = [
        str(Path(sys.executable).with_name("gunicorn")),
        "gonghui.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--timeout",
        "60",
        "--error-logfile",
        str(tmp_path / "gunicorn.log"),
    ]
    proc = subprocess.Popen(gunicorn, env=env, cwd=str(ROOT))
    burst = Burst(port)
    killed: list[int] = []
    try:
        _wait_ready(port, proc)
        threads = [
            threading.Thread(target=burst.terminal, args=(key, holders, i), daemon=True)
            for i, (key, holders) in enumerate(fleet)
        ]
        for th in threads:
            th.start()
        deadline = time.monotonic() + 120
        while burst.answered < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        workers = _children(proc.pid)
        assert len(workers) == 2, f"gunicorn workers: {workers}"
        # Kill a worker while its database transaction is open (in the middle of a scan).
        db_port = int(connection.settings_dict.get("PORT") or 5432)
        with connection.cursor() as cursor:
            while not (busy := _in_transaction(workers, db_port, cursor)):
                if time.monotonic() > deadline:
                    break
        connection.close()
        victim = busy[0] if busy else workers[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
        for th in threads:
            th.join(timeout=180)
        assert not any(th.is_alive() for th in threads), "the burst did not finish"
        assert len(_children(proc.pid)) == 2, "gunicorn did not replace the killed worker"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    print(
        f"fault burst: {len(burst.results)} answers, worker {killed} killed after {KILL_AFTER}, "
        f"{burst.retries} requests sent again with the same key"
    )
    scans = TERMINALS * MEMBERS_PER_TERMINAL * SCANS_PER_MEMBER
    assert killed and len(burst.results) == scans
    # The worker is killed while pg_stat_activity shows its session inside a transaction, but that
    # view lags: the answer may already be on the wire, so a retry is likely, not certain (one CI
    # run saw 0). What must hold whatever the kill hit is checked exactly below.
    approved = [
        (cred, body) for cred, status, body in burst.results if status == 200 and body["ok"]
    ]
    refused = [
        (status, body.get("code")) for _c, status, body in burst.results if not body.get("ok")
    ]
    # Exactly the stock was sold; every other scan was refused for want of stock, nothing else.
    assert len(approved) == STOCK, (len(approved), refused[:5])
    assert {code for _s, code in refused} == {"stock_exhausted"}, sorted(set(refused))
    assert len(refused) == scans - STOCK

    # Every answered redemption exists once; no redemption exists without an answer.
    answered_ids = [body["result"]["redemption_id"] for _c, body in approved]
    assert len(set(answered_ids)) == len(answered_ids)
    active = Redemption.objects.filter(offer_id=offer_id, status=Redemption.Status.ACTIVE)
    assert sorted(active.values_list("pk", flat=True)) == sorted(answered_ids)

    # Ledger (sums zero, balances = entries), stock, budget, payable, service events: the bench's
    # own check, exactly.
    consistent, lines = consistency(offer_id, len(approved))
    assert consistent, "\n".join(lines)
    offer = Offer.objects.get(pk=offer_id)
    assert offer.stock_left == 0

    # Usage counters: per member, the count taken == the member's approved answers.
    member_of = dict(Credential.objects.values_list("pk", "member_id"))
    wanted: dict[int, int] = {}
    for cred, _body in approved:
        wanted[member_of[cred]] = wanted.get(member_of[cred], 0) + 1
    got: dict[int, int] = {}
    for member_id, count in MemberOfferUsage.objects.filter(offer_id=offer_id).values_list(
        "member_id", "count"
    ):
        got[member_id] = got.get(member_id, 0) + count
    assert {m: c for m, c in got.items() if c} == wanted
