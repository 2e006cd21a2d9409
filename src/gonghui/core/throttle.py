"""Rate limits: the project's one mechanism, with one counter table (``core.RateCounter``).

Two ways in, one store of record:

- ``take([(Rule, subject), …])`` — several rules at once, **all or nothing**: if every rule has
  room it counts one event under each and answers ``None``; otherwise it counts nothing and
  answers a ``Refusal`` (the rule that refused, first in the caller's order, and
  ``retry_after`` seconds). ``durable=True`` counts in the database only, so the limit holds
  when the cache is cleared or down (enrolment per proved phone and per IP, anonymous rights
  intake per IP). ``durable=False`` (SMS codes) counts in the cache first, as an exact sliding
  window of ``count`` slot keys taken with ``cache.add`` (atomic SET NX on Redis); when the
  cache raises (Redis down) the same call is answered by the database.
- ``hit/peek/give_back/clear`` (one key, cache first, database when the cache raises; in the
  cache a fixed window aligned to multiples of ``window``, one ``ADD`` + ``INCR``) and the
  ``db_*`` functions (database only) for callers with a cache scheme of their own
  (``staffauth.throttle``: failure counters and locks).

In the database the window is **fixed**, starting at a key's first event and ending ``window``
seconds later (as Redis ``INCR`` + ``EXPIRE``). Why fixed and not sliding: a fixed window is one
row per key and one statement per event (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, atomic
on PostgreSQL and SQLite ≥ 3.35, exact under concurrency without a separate lock), it needs no
row per event, and it purges by one indexed ``expires_at``. The price is fairness at the edge:
a subject may spend its allowance at the end of one window and again at the start of the next,
so "5 an hour" can let 10 through in a little over an hour — never more than twice the limit in
any span of one window. For the limits here (abuse of enrolment, intake, SMS and sign-in while
the cache is down) that bound is enough; a sliding window in the database would need a row per
event and a lock per subject, as the earlier ``core.ratelimit`` did.

All or nothing, exact: ``take`` writes its rules in one transaction, in one fixed order (the
bucket), each with a *conditional* upsert that counts only while there is room; the first rule
without room rolls the transaction back, so what the earlier rules took is undone, and the rows
stay locked (PostgreSQL) until then, so a concurrent request waits rather than sees a place that
is about to be given back. Tested with threads on PostgreSQL.

Privacy: the key of a database row (and of a cache entry) is an HMAC of the caller's key
(``bucket``, keyed by ``SECRET_KEY``), never a phone, a phone's index or an IP in clear.
Rotating ``SECRET_KEY`` starts every counter afresh.

Database counters write in their own transaction (a savepoint inside ``transaction.atomic``):
call them outside a transaction that a refusal would roll back, or the count is undone with it.
Expired rows are deleted about once every ``PURGE_EVERY`` database hits (and by
``counters_purge``).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime

from .models import RateCounter

log = logging.getLogger("gonghui.core.throttle")

PURGE_EVERY = 200
# One statement, atomic on PostgreSQL and SQLite (>= 3.35): a new or expired bucket starts a
# window at 1, a live one counts on.
_HIT_SQL = """
INSERT INTO core_ratecounter (bucket, count, expires_at) VALUES (%s, 1, %s)
ON CONFLICT (bucket) DO UPDATE SET
  count = CASE WHEN core_ratecounter.expires_at <= %s THEN 1
               ELSE core_ratecounter.count + 1 END,
  expires_at = CASE WHEN core_ratecounter.expires_at <= %s THEN excluded.expires_at
                    ELSE core_ratecounter.expires_at END
RETURNING count, expires_at
"""
# The same, counting only while there is room (the last parameter is the limit): no row comes
# back when the live window is full. The conflicting row stays locked until the transaction ends.
_TAKE_SQL = _HIT_SQL.replace(
    "RETURNING",
    "WHERE core_ratecounter.expires_at <= %s OR core_ratecounter.count < %s\nRETURNING",
)
_HMAC_SALT = "gonghui.core.throttle"


def bucket(key: str) -> str:
    """The stored form of a caller's key: an HMAC (64 hex digits), never the key itself."""
    return salted_hmac(_HMAC_SALT, key, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class Rule:
    scope: str  # e.g. "rights.intake.ip.hour"
    count: int
    window: int  # seconds

    def key(self, subject: str) -> str:
        return f"{self.scope}:{subject}"


@dataclass(frozen=True)
class Refusal:
    rule: Rule
    subject: str
    retry_after: int  # seconds until the rule has room again


@dataclass(frozen=True)
class Hit:
    count: int
    limit: int
    retry_after: int  # seconds until the window ends (0 when nothing is counted)

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit


@dataclass(frozen=True)
class Counter:
    count: int
    expires_at: float  # epoch seconds

    def seconds_left(self, at: float) -> int:
        return max(0, math.ceil(self.expires_at - at))


# --- the database counters --------------------------------------------------------------------
def _aware(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def _param(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _epoch(value: Any) -> float:
    if isinstance(value, str):  # SQLite answers RETURNING with the stored text (UTC)
        value = parse_datetime(value)
    assert isinstance(value, dt.datetime)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def db_hit(key: str, *, window: int, at: float | None = None) -> Counter:
    """Count one event for ``key``; a new (or expired) key starts a window of ``window`` s."""
    at = time.time() if at is None else at
    now, ends = _param(_aware(at)), _param(_aware(at + window))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_HIT_SQL, [bucket(key), ends, now, now])
        count, expires = cursor.fetchone()
    if random.randrange(PURGE_EVERY) == 0:
        counters_purge(at=at)
    return Counter(count=int(count), expires_at=_epoch(expires))


def db_peek(key: str, *, at: float | None = None) -> Counter | None:
    """The live counter of ``key`` (None when absent or expired)."""
    at = time.time() if at is None else at
    row = (
        RateCounter.objects.filter(bucket=bucket(key), expires_at__gt=_aware(at))
        .values_list("count", "expires_at")
        .first()
    )
    if row is None or row[0] <= 0:
        return None
    return Counter(count=row[0], expires_at=row[1].timestamp())


def db_give_back(key: str, *, at: float | None = None) -> None:
    """Undo one ``db_hit`` of a live window (never below zero)."""
    at = time.time() if at is None else at
    RateCounter.objects.filter(bucket=bucket(key), expires_at__gt=_aware(at), count__gt=0).update(
        count=F("count") - 1
    )


def db_clear(*keys: str) -> None:
    RateCounter.objects.filter(bucket__in=[bucket(k) for k in keys]).delete()


def counters_purge(*, at: float | None = None) -> int:
    """Delete expired counters; returns how many."""
    at = time.time() if at is None else at
    deleted, _ = RateCounter.objects.filter(expires_at__lte=_aware(at)).delete()
    return deleted


# --- cache first, database when the cache is down ---------------------------------------------
def _cache_key(key: str, window: int, at: float) -> str:
    return f"thr:{bucket(key)}:{window}:{int(at // window)}"


def _cache_retry(window: int, at: float) -> int:
    return max(1, math.ceil(window - at % window))


def _down(what: str, key: str) -> None:
    log.warning(
        "cache unavailable for %s of %s: using the database counter", what, key, exc_info=True
    )


def hit(key: str, *, limit: int, window: int, at: float | None = None) -> Hit:
    """Count one event for ``key`` in its window; ``allowed`` while at most ``limit``."""
    at = time.time() if at is None else at
    ckey = _cache_key(key, window, at)
    try:
        if cache.add(ckey, 1, timeout=window + 5):
            count = 1
        else:
            try:
                count = cache.incr(ckey)
            except ValueError:  # expired between add and incr
                cache.set(ckey, 1, timeout=window + 5)
                count = 1
        return Hit(count=count, limit=limit, retry_after=_cache_retry(window, at))
    except Exception:
        _down("hit", key)
    counter = db_hit(key, window=window, at=at)
    return Hit(count=counter.count, limit=limit, retry_after=max(1, counter.seconds_left(at)))


def peek(key: str, *, limit: int, window: int, at: float | None = None) -> Hit:
    """The count of ``key``'s current window, without counting. One more event would be
    allowed while ``count < limit``."""
    at = time.time() if at is None else at
    try:
        count = int(cache.get(_cache_key(key, window, at)) or 0)
        return Hit(count=count, limit=limit, retry_after=_cache_retry(window, at) if count else 0)
    except Exception:
        _down("peek", key)
    counter = db_peek(key, at=at)
    if counter is None:
        return Hit(count=0, limit=limit, retry_after=0)
    return Hit(count=counter.count, limit=limit, retry_after=max(1, counter.seconds_left(at)))


def give_back(key: str, *, window: int, at: float | None = None) -> None:
    """Undo one ``hit`` of the current window (a request that another limit refused)."""
    at = time.time() if at is None else at
    try:
        cache.decr(_cache_key(key, window, at))
        return
    except ValueError:  # nothing counted (any more)
        return
    except Exception:
        _down("give_back", key)
    db_give_back(key, at=at)


def clear(key: str, *, window: int, at: float | None = None) -> None:
    """Forget ``key``'s current window, in the cache and in the database."""
    at = time.time() if at is None else at
    try:
        cache.delete(_cache_key(key, window, at))
    except Exception:
        _down("clear", key)
    db_clear(key)


# --- several rules, all or nothing ------------------------------------------------------------
class _Full(Exception):
    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal


def _db_wait(key: str, window: int, at: float) -> int:
    counter = db_peek(key, at=at)
    return max(1, counter.seconds_left(at)) if counter is not None else window


def db_take(rules: Sequence[tuple[Rule, str]], *, at: float | None = None) -> Refusal | None:
    """``take`` in the database only (see the module's docstring)."""
    at = time.time() if at is None else at
    for rule, subject in rules:  # a refusal names the first full rule in the caller's order
        counter = db_peek(rule.key(subject), at=at)
        if rule.count < 1 or (counter is not None and counter.count >= rule.count):
            return Refusal(rule, subject, _db_wait(rule.key(subject), rule.window, at))
    now = _param(_aware(at))
    order = sorted({bucket(rule.key(subject)): (rule, subject) for rule, subject in rules}.items())
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for stored, (rule, subject) in order:  # one fixed order: no deadlock between callers
                ends = _param(_aware(at + rule.window))
                cursor.execute(_TAKE_SQL, [stored, ends, now, now, now, rule.count])
                if cursor.fetchone() is None:  # full: undo what the earlier rules took
                    raise _Full(Refusal(rule, subject, 0))
    except _Full as full:
        rule, subject = full.refusal.rule, full.refusal.subject
        return Refusal(rule, subject, _db_wait(rule.key(subject), rule.window, at))
    if random.randrange(PURGE_EVERY) == 0:
        counters_purge(at=at)
    return None


def _slot_keys(rule: Rule, subject: str) -> list[str]:
    stored = bucket(rule.key(subject))
    return [f"thr:slot:{stored}:{i}" for i in range(rule.count)]


def _cache_wait(rule: Rule, subject: str, at: float) -> int:
    """0 when a slot of ``rule`` is free for ``subject``; else seconds until one frees."""
    taken = cache.get_many(_slot_keys(rule, subject))
    if len(taken) < rule.count:
        return 0
    oldest = min(float(v) for v in taken.values())
    return max(1, math.ceil(oldest + rule.window - at))


def _cache_take(rules: Sequence[tuple[Rule, str]], at: float) -> Refusal | None:
    for rule, subject in rules:
        wait = _cache_wait(rule, subject, at) if rule.count >= 1 else rule.window
        if wait:
            return Refusal(rule, subject, wait)
    taken: list[str] = []
    for rule, subject in rules:
        for key in _slot_keys(rule, subject):
            if cache.add(key, at, timeout=rule.window):
                taken.append(key)
                break
        else:  # lost a race for the last slot: give back what we took
            cache.delete_many(taken)
            return Refusal(rule, subject, max(1, _cache_wait(rule, subject, at)))
    return None


def take(
    rules: Sequence[tuple[Rule, str]], *, durable: bool = False, at: float | None = None
) -> Refusal | None:
    """Count one event under every rule, or none and answer the ``Refusal``.

    ``durable``: in the database only (holds when the cache is cleared or down); otherwise the
    cache first (a sliding window), the database when the cache raises."""
    at = time.time() if at is None else at
    if not durable:
        try:
            return _cache_take(rules, at)
        except Exception:
            _down("take", ",".join(rule.scope for rule, _subject in rules))
    return db_take(rules, at=at)
