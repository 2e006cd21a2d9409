"""Login throttling in the Django cache (Redis when REDIS_URL is set, local memory otherwise).

Two counters per failed attempt: one for the attempted username and one for the client IP.
When a counter reaches its limit within the window, that username (or IP) is locked for the
lockout period; while locked, every attempt is refused before the password is even checked,
so the right password does not help. A successful sign-in clears the username's counter.

Limits (settings, with defaults): ``GONGHUI_STAFF_LOGIN_MAX_FAILURES`` (5 per username),
``GONGHUI_STAFF_LOGIN_MAX_FAILURES_PER_IP`` (20), ``GONGHUI_STAFF_LOGIN_WINDOW_SECONDS`` (900),
``GONGHUI_STAFF_LOGIN_LOCKOUT_SECONDS`` (900). The window starts at the first failure (a fixed
window per key), which is simple to reason about and works the same on every cache backend.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

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
        max_failures=getattr(settings, "GONGHUI_STAFF_LOGIN_MAX_FAILURES", 5),
        max_failures_per_ip=getattr(settings, "GONGHUI_STAFF_LOGIN_MAX_FAILURES_PER_IP", 20),
        window_seconds=getattr(settings, "GONGHUI_STAFF_LOGIN_WINDOW_SECONDS", 900),
        lockout_seconds=getattr(settings, "GONGHUI_STAFF_LOGIN_LOCKOUT_SECONDS", 900),
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


def current_lock(*, username: str, ip: str | None) -> Lock | None:
    """The lock that refuses this attempt now, if any (the username's lock first)."""
    for scope, value in _subjects(username, ip):
        until = cache.get(_lock_key(scope, value))
        if until is not None:
            left = math.ceil(float(until) - time.time())
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


def failure_register(*, username: str, ip: str | None) -> list[Lock]:
    """Count one failed attempt; return the locks that this failure has just started."""
    lim = limits()
    started: list[Lock] = []
    for scope, value in _subjects(username, ip):
        limit = lim.max_failures if scope == USERNAME else lim.max_failures_per_ip
        count = _increment(_fail_key(scope, value), lim.window_seconds)
        if count >= limit:
            cache.set(
                _lock_key(scope, value),
                time.time() + lim.lockout_seconds,
                timeout=lim.lockout_seconds,
            )
            cache.delete(_fail_key(scope, value))
            started.append(Lock(scope=scope, seconds_left=lim.lockout_seconds))
    return started


def success_register(*, username: str) -> None:
    """A successful sign-in clears the username's failure counter (the IP's stays)."""
    cache.delete(_fail_key(USERNAME, username))


def lock_clear(*, username: str = "", ip: str | None = None) -> None:
    """Lift a lock early (operators: ``gonghui shell``; tests)."""
    for scope, value in _subjects(username, ip):
        cache.delete_many([_lock_key(scope, value), _fail_key(scope, value)])
