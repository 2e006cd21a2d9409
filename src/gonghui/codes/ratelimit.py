"""Soft rate limits in the cache (Redis when REDIS_URL is set, local memory otherwise).

Fixed windows: ``hit(bucket, limit=, window=)`` counts one event and says whether it is within the
limit. Correctness never depends on the cache: if the cache fails, the limit is not enforced (and
a warning is logged), while the per-holder lockout, kept in the database, still holds."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger("gonghui.codes")

# name: (limit, window seconds); override with settings.GONGHUI_CODES_RATE_LIMITS.
DEFAULTS: dict[str, tuple[int, int]] = {
    # Scans sent by one terminal, any outcome: a busy gate scans about one person a second.
    "terminal": (240, 60),
    # Refused codes (malformed, unknown, bad signature) sent by one terminal.
    "terminal_bad": (30, 600),
    # Codes of one holder presented anywhere, any outcome.
    "holder": (20, 60),
    # Reverse scans (poster tokens) by one member.
    "member_poster": (20, 60),
}


def limits(name: str) -> tuple[int, int]:
    custom = getattr(settings, "GONGHUI_CODES_RATE_LIMITS", {}) or {}
    return custom.get(name, DEFAULTS[name])


def _key(name: str, ident: object, window: int, now: float) -> str:
    return f"codes:rl:{name}:{ident}:{int(now // window)}"


def hit(name: str, ident: object, *, now: float | None = None) -> bool:
    """Count one event in bucket ``name``/``ident``; True while within the limit."""
    limit, window = limits(name)
    key = _key(name, ident, window, time.time() if now is None else now)
    try:
        cache.add(key, 0, timeout=window + 5)
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    except Exception:  # the cache is down: fail open, the database lockout still holds
        log.warning("rate-limit cache unavailable for %s", name, exc_info=True)
        return True
    return count <= limit


def exceeded(name: str, ident: object, *, now: float | None = None) -> bool:
    """Is the bucket already over its limit? (Reads without counting.)"""
    limit, window = limits(name)
    key = _key(name, ident, window, time.time() if now is None else now)
    try:
        count = cache.get(key, 0)
    except Exception:
        log.warning("rate-limit cache unavailable for %s", name, exc_info=True)
        return False
    return int(count or 0) >= limit
