"""Login throttling in the Django cache (Redis when REDIS_URL is set, local memory otherwise).

Two counters per failed attempt: one for the attempted username and one for the client IP.
When a counter reaches its limit within the window, that username (or IP) is locked for the
lockout period; while locked, every attempt is refused before the password is even checked,
so the right password does not help. A successful sign-in clears the username's counter.

Limits (settings, with defaults): ``GONGHUI_STAFF_LOGIN_MAX_FAILURES`` (5 per username),
``GONGHUI_STAFF_LOGIN_MAX_FAILURES_PER_IP`` (20), ``GONGHUI_STAFF_LOGIN_WINDOW_SECONDS`` (900),
``GONGHUI_STAFF_LOGIN_LOCKOUT_SECONDS`` (900). The window starts at the first failure (a fixed
window per key), which is simple to reason about and works the same on every cache backend.

When the cache raises (Redis down), failures are counted and locks kept in database counters
(``core.throttle``) instead: sign-in degrades, it neither answers 500 nor goes unthrottled.
Locks are always looked up in both places, so a lock taken during an outage outlives it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from gonghui.core import throttle as core_throttle

log = logging.getLogger("gonghui.staffauth.throttle")

USERNAME = "username"
IP = "ip"


@dataclass(frozen=True)
class Limits:
    max_failures: int
    max_failures_per_ip: int
    window_seconds: int
    lockout_seconds: int


def limits() -> Limits:
    return Limits(
        max_failures=settings.GONGHUI_STAFF_LOGIN_MAX_FAILURES,
        max_failures_per_ip=settings.GONGHUI_STAFF_LOGIN_MAX_FAILURES_PER_IP,
        window_seconds=settings.GONGHUI_STAFF_LOGIN_WINDOW_SECONDS,
        lockout_seconds=settings.GONGHUI_STAFF_LOGIN_LOCKOUT_SECONDS,
    )


def _ident(scope: str, value: str) -> str:
    # Usernames are compared case-insensitively here so that "Admin" and "admin" share a lock.
    norm = value.strip().lower() if scope == USERNAME else value.strip()
    return hashlib.sha256(f"{scope}\x00{norm}".encode()).hexdigest()[:40]


def _fail_key(scope: str, value: str) -> str:
    return f"staffauth:fail:{_ident(scope, value)}"


def _lock_key(scope: str, value: str) -> str:
    return f"staffauth:lock:{_ident(scope, value)}"


@dataclass(frozen=True)
class Lock:
    scope: str  # USERNAME or IP
    seconds_left: int

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60))


def _subjects(username: str, ip: str | None) -> list[tuple[str, str]]:
    subjects = [(USERNAME, username)] if username.strip() else []
    if ip:
        subjects.append((IP, ip))
    return subjects


def _db_lock_left(scope: str, value: str, at: float) -> int:
    counter = core_throttle.db_peek(_lock_key(scope, value), at=at)
    return counter.seconds_left(at) if counter is not None else 0


def current_lock(*, username: str, ip: str | None) -> Lock | None:
    """The lock that refuses this attempt now, if any (the username's lock first).

    Locks are looked up in the cache and in the database (where they are written while the
    cache is down), so a lock taken during a Redis outage outlives the outage."""
    at = time.time()
    for scope, value in _subjects(username, ip):
        left = 0
        try:
            until = cache.get(_lock_key(scope, value))
        except Exception:
            log.warning("cache unavailable for sign-in locks: database only", exc_info=True)
        else:
            if until is not None:
                left = math.ceil(float(until) - at)
        left = max(left, _db_lock_left(scope, value, at))
        if left > 0:
            return Lock(scope=scope, seconds_left=left)
    return None


def _increment(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)
        return 1


def _count_failure(scope: str, value: str, window: int, at: float) -> int:
    """Count one failure in the cache, or in a database counter when the cache is down."""
    try:
        return _increment(_fail_key(scope, value), window)
    except Exception:
        log.warning("cache unavailable for sign-in failures: database counter", exc_info=True)
        return core_throttle.db_hit(_fail_key(scope, value), window=window, at=at).count


def _lock(scope: str, value: str, seconds: int, at: float) -> None:
    """Start a lock (and forget the failures that led to it): cache, or database when down."""
    try:
        cache.set(_lock_key(scope, value), at + seconds, timeout=seconds)
        cache.delete(_fail_key(scope, value))
    except Exception:
        log.warning("cache unavailable for a sign-in lock: database", exc_info=True)
        core_throttle.db_clear(_lock_key(scope, value))
        core_throttle.db_hit(_lock_key(scope, value), window=seconds, at=at)
    core_throttle.db_clear(_fail_key(scope, value))


def failure_register(*, username: str, ip: str | None) -> list[Lock]:
    """Count one failed attempt; return the locks that this failure has just started."""
    lim = limits()
    at = time.time()
    started: list[Lock] = []
    for scope, value in _subjects(username, ip):
        limit = lim.max_failures if scope == USERNAME else lim.max_failures_per_ip
        count = _count_failure(scope, value, lim.window_seconds, at)
        if count >= limit:
            _lock(scope, value, lim.lockout_seconds, at)
            started.append(Lock(scope=scope, seconds_left=lim.lockout_seconds))
    return started


def success_register(*, username: str) -> None:
    """A successful sign-in clears the username's failure counter (the IP's stays)."""
    try:
        cache.delete(_fail_key(USERNAME, username))
    except Exception:
        log.warning("cache unavailable to clear sign-in failures", exc_info=True)
    core_throttle.db_clear(_fail_key(USERNAME, username))


def lock_clear(*, username: str = "", ip: str | None = None) -> None:
    """Lift a lock early (operators: ``gonghui shell``; tests), in the cache and the database."""
    for scope, value in _subjects(username, ip):
        keys = [_lock_key(scope, value), _fail_key(scope, value)]
        try:
            cache.delete_many(keys)
        except Exception:
            log.warning("cache unavailable to lift a sign-in lock", exc_info=True)
        core_throttle.db_clear(*keys)
