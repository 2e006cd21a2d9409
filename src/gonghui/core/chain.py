"""Hash chains over append-only tables: sealed after commit, checked against heads kept outside.

The append-only triggers stop the application from changing history, but not the role that
owns the tables (it can disable triggers or truncate). A chain makes such a change visible:

- **Registry.** An app registers a chain in ``AppConfig.ready()``:
  ``register("funds.ledger", model=LedgerTransaction, fields=(…), children=(Child(…),))``.
  ``core`` registers the audit log; ``funds`` the ledger (a transaction with its entries).
  The fields of a chain are fixed once rows are sealed (the digest of old rows must not move).
- **Seals.** ``chain_seal()`` appends ``ChainSeal`` rows. A seal covers the rows with
  ``after_id < id <= upto_id`` (the previous seal's ``upto_id`` is the next one's ``after_id``);
  its hash is SHA-256 over the previous hash, the chain name, the seal's number, range and row
  count, and each row's digest (SHA-256 of a canonical JSON of its fields and of its child
  rows) in id order. The writers of the rows do nothing: the sealer reads new rows later, so a
  hot path such as a redemption gains no statement and no lock.
- **Ordering rule (the horizon).** Ids are taken at INSERT but transactions commit out of
  order, so the sealer seals only up to a *horizon* below which no row can still appear. On
  PostgreSQL: it reads the last value of the table's id sequence, then the transactions that
  hold a ROW EXCLUSIVE lock on the table (every INSERT takes it before it draws an id and keeps
  it until it ends), and waits until each of those has ended. Every id up to that last value is
  then either committed and visible or rolled back for good, so the seal can never leave a gap
  nor need a fork. If a writer is still running after ``wait_seconds``, this run seals nothing
  for that chain and a later run tries again. On SQLite the sealer's transaction holds the
  database's write lock (``BEGIN IMMEDIATE``), so no writer is in flight and the horizon is the
  largest id. (The id sequences must keep PostgreSQL's default ``CACHE 1``.)
- **Heads outside.** ``chain_heads()`` are the newest seals; ``heads_append(path)`` writes
  them to a file (``gonghui chain-head --file``, the daily task), and every seal run logs them.
  ``chain_verify(heads=…)`` recomputes every seal from the rows and checks that each head
  recorded outside is still there with the same hash: someone who rewrites rows *and*
  recomputes the seals inside the database still disagrees with the heads outside.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connections, models, router, transaction

from .models import ChainSeal

log = logging.getLogger("gonghui.chain")

ZERO_HASH = "0" * 64


@dataclass(frozen=True)
class Child:
    """Rows of another table that belong to a chained row (a ledger transaction's entries)."""

    model: type[models.Model]
    fk: str  # attname of the foreign key to the chained row, e.g. "transaction_id"
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Chain:
    name: str
    model: type[models.Model]
    fields: tuple[str, ...]
    children: tuple[Child, ...] = ()


_REGISTRY: dict[str, Chain] = {}


def register(
    name: str,
    *,
    model: type[models.Model],
    fields: Sequence[str],
    children: Sequence[Child] = (),
) -> None:
    """Chain the rows of ``model`` (an append-only table with an integer ``id``)."""
    if "id" not in fields:
        raise ValueError("a chain's fields must include id")
    _REGISTRY[name] = Chain(name, model, tuple(fields), tuple(children))


def names() -> list[str]:
    return sorted(_REGISTRY)


def _selected(only: Iterable[str] | None) -> list[Chain]:
    if only is None:
        return [_REGISTRY[n] for n in names()]
    unknown = set(only) - set(_REGISTRY)
    if unknown:
        raise KeyError(f"unknown chain(s): {', '.join(sorted(unknown))}")
    return [_REGISTRY[n] for n in sorted(set(only))]


# --- digests --------------------------------------------------------------------------------


def _canon(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot digest {type(value).__name__}")


def _canonical(obj: Any) -> bytes:
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_canon
    ).encode()


def _rows(c: Chain, after_id: int, upto_id: int, limit: int | None = None) -> Iterator[tuple]:
    """(id, digest) of the chain's rows in (after_id, upto_id], ascending id."""
    qs = c.model._default_manager.filter(id__gt=after_id, id__lte=upto_id).order_by("id")
    step = 2000
    cursor = after_id
    left = limit
    while left is None or left > 0:
        take = step if left is None else min(step, left)
        batch = list(qs.filter(id__gt=cursor).values_list(*c.fields)[:take])
        if not batch:
            return
        id_pos = c.fields.index("id")
        ids = [r[id_pos] for r in batch]
        kids: dict[str, dict[Any, list]] = {}
        for child in c.children:
            grouped: dict[Any, list] = {}
            for r in (
                child.model._default_manager.filter(**{f"{child.fk}__in": ids})
                .order_by("id")
                .values_list(child.fk, *child.fields)
            ):
                grouped.setdefault(r[0], []).append(dict(zip(child.fields, r[1:], strict=True)))
            kids[child.model._meta.label_lower] = grouped
        for r in batch:
            doc: dict[str, Any] = dict(zip(c.fields, r, strict=True))
            rid = doc["id"]
            for label, grouped in kids.items():
                doc[label] = grouped.get(rid, [])
            yield rid, hashlib.sha256(_canonical(doc)).digest()
        cursor = ids[-1]
        if left is not None:
            left -= len(batch)


def _seal_hash(
    name: str, seq: int, after_id: int, upto_id: int, digests: Iterable[bytes], prev_hash: str
) -> tuple[str, int]:
    body = hashlib.sha256()
    count = 0
    for d in digests:
        body.update(d)
        count += 1
    head = f"gonghui-chain-v1|{name}|{seq}|{after_id}|{upto_id}|{count}|{prev_hash}|"
    return hashlib.sha256(head.encode() + body.digest()).hexdigest(), count


# --- sealing --------------------------------------------------------------------------------


def _pg_horizon(cursor: Any, table: str, wait_seconds: float) -> int | None:
    """The largest id below which every row is final, or None if writers are still running."""
    cursor.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'id'))", [table])
    (last,) = cursor.fetchone()
    if last is None:
        return 0
    # Read after the sequence: a transaction that drew an id up to ``last`` has held this lock
    # since before it drew it, so it is either listed here or already ended.
    cursor.execute(
        "SELECT array_agg(DISTINCT virtualtransaction) FROM pg_locks "
        "WHERE locktype = 'relation' AND mode = 'RowExclusiveLock' "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND relation = %s::regclass AND pid IS DISTINCT FROM pg_backend_pid()",
        [table],
    )
    (writers,) = cursor.fetchone()
    deadline = time.monotonic() + wait_seconds
    while writers:
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)
        cursor.execute(
            "SELECT array_agg(DISTINCT virtualtransaction) FROM pg_locks "
            "WHERE virtualtransaction = ANY(%s)",
            [writers],
        )
        (writers,) = cursor.fetchone()
    return int(last)


def _seal_one(c: Chain, *, max_rows: int, wait_seconds: float) -> list[ChainSeal]:
    alias = router.db_for_write(ChainSeal)
    conn = connections[alias]
    table = c.model._meta.db_table
    horizon: int | None = None
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            horizon = _pg_horizon(cur, table, wait_seconds)
        if horizon is None:
            log.info("chain %s: writers still running, sealing later", c.name)
            return []
    made: list[ChainSeal] = []
    with transaction.atomic(using=alias), conn.cursor() as cur:
        if conn.vendor == "postgresql":
            # Only sealers take this lock; writers of the rows never do.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"gonghui.chain.{c.name}"])
        else:
            # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE): no writer is in
            # flight, every id up to the largest is final.
            agg = c.model._default_manager.aggregate(m=models.Max("id"))
            horizon = agg["m"] or 0
        assert horizon is not None
        last = ChainSeal.objects.filter(chain=c.name).order_by("-seq").first()
        seq = last.seq if last else 0
        after = last.upto_id if last else 0
        prev_hash = last.hash if last else ZERO_HASH
        while after < horizon:
            batch = list(_rows(c, after, horizon, limit=max_rows + 1))
            if not batch:
                break
            # The last seal of a run reaches the horizon, so a row slipped in later into an id
            # lost to a rollback is caught; earlier ones end at their last row.
            if len(batch) > max_rows:
                batch = batch[:max_rows]
                upto = batch[-1][0]
            else:
                upto = horizon
            seq += 1
            digest, count = _seal_hash(c.name, seq, after, upto, (d for _, d in batch), prev_hash)
            made.append(
                ChainSeal.objects.create(
                    chain=c.name,
                    seq=seq,
                    after_id=after,
                    upto_id=upto,
                    rows=count,
                    prev_hash=prev_hash,
                    hash=digest,
                )
            )
            after, prev_hash = upto, digest
    for s in made[-1:]:
        log.info("chain head %s seq=%s upto=%s hash=%s", s.chain, s.seq, s.upto_id, s.hash)
    return made


def chain_seal(
    *, names: Iterable[str] | None = None, max_rows: int = 5000, wait_seconds: float = 5.0
) -> list[ChainSeal]:
    """Seal the committed rows of each chain up to its horizon; return the new seals."""
    made: list[ChainSeal] = []
    for c in _selected(names):
        made += _seal_one(c, max_rows=max_rows, wait_seconds=wait_seconds)
    return made


# --- heads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    chain: str
    seq: int
    hash: str
    at: str = ""

    def line(self) -> str:
        return f"{self.at} {self.chain} {self.seq} {self.hash}"


def chain_heads(*, names: Iterable[str] | None = None) -> list[Head]:
    """The newest seal of each chain (chains without a seal yet are left out)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for c in _selected(names):
        s = ChainSeal.objects.filter(chain=c.name).order_by("-seq").first()
        if s is not None:
            out.append(Head(c.name, s.seq, s.hash, now))
    return out


def heads_append(path: str | Path, heads: Iterable[Head]) -> None:
    """Append head lines to a file (kept by the operator, outside the database)."""
    import os

    with open(path, "a", encoding="utf-8") as f:
        for h in heads:
            f.write(h.line() + "\n")
        f.flush()
        os.fsync(f.fileno())


def heads_read(path: str | Path) -> list[Head]:
    """Head lines ``<time> <chain> <seq> <hash>``; blank lines and ``#`` comments are skipped."""
    out = []
    for n, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 4 or not parts[2].isdigit() or len(parts[3]) != 64:
            raise ValueError(f"{path}:{n}: expected '<time> <chain> <seq> <hash>'")
        out.append(Head(parts[1], int(parts[2]), parts[3].lower(), parts[0]))
    return out


# --- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    chain: str
    seq: int | None
    message: str


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    seals: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    unsealed: dict[str, int] = field(default_factory=dict)
    heads_checked: int = 0


def chain_verify(
    *, names: Iterable[str] | None = None, heads: Iterable[Head] | None = None
) -> Report:
    """Recompute every seal from the rows; compare with the heads recorded outside.

    Finds: a row changed, removed or slipped in under a seal; a seal missing, out of order or
    not following its predecessor; a row below the first seal; and, with ``heads``, a chain
    rewritten or cut after a head was recorded outside the database."""
    report = Report()
    chains = _selected(names)
    wanted = {c.name for c in chains}
    for c in chains:
        problems = report.problems
        manager = c.model._default_manager
        expected, prev_upto, prev_hash, rows = 1, 0, ZERO_HASH, 0
        seals = 0
        if manager.filter(id__lte=0).exists():
            problems.append(Problem(c.name, None, f"{c.name}: rows with an id ≤ 0"))
        for s in ChainSeal.objects.filter(chain=c.name).order_by("seq").iterator():
            seals += 1
            if s.seq != expected:
                problems.append(Problem(c.name, expected, f"{c.name}: seal {expected} is missing"))
            if s.after_id != prev_upto:
                problems.append(
                    Problem(
                        c.name,
                        s.seq,
                        f"{c.name}: seal {s.seq} starts after id {s.after_id}, "
                        f"the previous seal ends at id {prev_upto}",
                    )
                )
            if s.prev_hash != prev_hash:
                problems.append(
                    Problem(
                        c.name, s.seq, f"{c.name}: seal {s.seq} does not follow the seal before"
                    )
                )
            digest, count = _seal_hash(
                c.name,
                s.seq,
                s.after_id,
                s.upto_id,
                (d for _, d in _rows(c, s.after_id, s.upto_id)),
                s.prev_hash,
            )
            if digest != s.hash or count != s.rows:
                problems.append(
                    Problem(
                        c.name,
                        s.seq,
                        f"{c.name}: seal {s.seq}: rows with ids {s.after_id + 1}–{s.upto_id} "
                        f"were changed, removed or added after sealing "
                        f"({count} rows now, {s.rows} sealed)",
                    )
                )
            rows += count
            expected, prev_upto, prev_hash = s.seq + 1, s.upto_id, s.hash
        report.seals[c.name] = seals
        report.rows[c.name] = rows
        report.unsealed[c.name] = manager.filter(id__gt=prev_upto).count()
    for h in heads or ():
        if h.chain not in wanted:
            continue
        report.heads_checked += 1
        found = ChainSeal.objects.filter(chain=h.chain, seq=h.seq).first()
        if found is None:
            report.problems.append(
                Problem(
                    h.chain,
                    h.seq,
                    f"{h.chain}: seal {h.seq}, recorded outside the database at {h.at}, "
                    f"is missing: the chain was cut",
                )
            )
        elif found.hash != h.hash:
            report.problems.append(
                Problem(
                    h.chain,
                    h.seq,
                    f"{h.chain}: seal {h.seq} differs from the head recorded outside the "
                    f"database at {h.at}: the chain was rewritten",
                )
            )
    return report
