"""Rate limits that keep holding when the cache (Redis) is down.

The small general API (for any app: ``key``, ``limit``, ``window`` in seconds)::

    from gonghui.core import throttle

    got = throttle.hit(f"rights:intake:ip:{ip}", limit=10, window=3600)
    if not got.allowed:
        raise Refused(code="rate_limited", ..., status=429,
                      data={"retry_after": got.retry_after})

- ``hit`` counts one event and answers a ``Hit`` (``count`` including this one, ``limit``,
  ``allowed`` = ``count <= limit``, ``retry_after`` seconds until the window ends).
  ``peek`` answers the same without counting; ``give_back`` undoes one ``hit`` (a request
  refused by another limit); ``clear`` forgets a key.
- They use the Django cache first (Redis when ``REDIS_URL`` is set: one ``ADD`` + ``INCR``); when
  the cache raises (Redis down), the same call is answered by a counter row in the database
  (``core.RateCounter``): ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` — one statement, atomic
  on PostgreSQL and SQLite, exact under concurrency. Limits are never switched off.
- Windows are fixed: in the cache aligned to multiples of ``window``; in the database starting
  at the key's first event (as Redis ``INCR`` + ``EXPIRE``). A key counted in one store during
  an outage is not seen by the other; that costs at most one window's allowance.
- The ``db_*`` functions are the database counters alone, for callers with a cache scheme of
  their own (``members.otp``'s sliding slots, ``staffauth.throttle``'s locks).

Database counters write in their own transaction (autocommit outside ``transaction.atomic``):
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
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
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
        cursor.execute(_HIT_SQL, [key, ends, now, now])
        count, expires = cursor.fetchone()
    if random.randrange(PURGE_EVERY) == 0:
        counters_purge(at=at)
    return Counter(count=int(count), expires_at=_epoch(expires))


def db_peek(key: str, *, at: float | None = None) -> Counter | None:
    """The live counter of ``key`` (None when absent or expired)."""
    at = time.time() if at is None else at
    row = (
        RateCounter.objects.filter(bucket=key, expires_at__gt=_aware(at))
        .values_list("count", "expires_at")
        .first()
    )
    if row is None or row[0] <= 0:
        return None
    return Counter(count=row[0], expires_at=row[1].timestamp())


def db_give_back(key: str, *, at: float | None = None) -> None:
    """Undo one ``db_hit`` of a live window (never below zero)."""
    at = time.time() if at is None else at
    RateCounter.objects.filter(bucket=key, expires_at__gt=_aware(at), count__gt=0).update(
        count=F("count") - 1
    )


def db_clear(*keys: str) -> None:
    RateCounter.objects.filter(bucket__in=keys).delete()


def counters_purge(*, at: float | None = None) -> int:
    """Delete expired counters; returns how many."""
    at = time.time() if at is None else at
    deleted, _ = RateCounter.objects.filter(expires_at__lte=_aware(at)).delete()
    return deleted


# --- cache first, database when the cache is down ---------------------------------------------
def _cache_key(key: str, window: int, at: float) -> str:
    return f"thr:{key}:{window}:{int(at // window)}"


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
