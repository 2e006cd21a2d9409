"""Soft rate limits in the cache (Redis when REDIS_URL is set, local memory otherwise).

Fixed windows: ``hit(bucket, limit=, window=)`` counts one event and says whether it is within the
limit. Correctness never depends on the cache: if the cache fails, the limit is not enforced (and
a warning is logged), while the per-holder lockout, kept in the database, still holds."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

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
    custom = settings.GONGHUI_CODES_RATE_LIMITS or {}
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


# --- one round trip per scan ------------------------------------------------------------------
def _redis() -> Any:
    """The Redis client of this thread's cache backend, kept on the backend (Django's RedisCache
    builds a new client object on every call, which costs more than the command itself); None
    when the cache is not Redis."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    client = getattr(backend, "_gonghui_client", None)
    if client is None:
        client = backend._cache.get_client(write=True)
        backend._gonghui_client = client  # type: ignore[attr-defined]
    return client


def scan_verdict(
    terminal_id: int, holder_id: int | None, *, now: float | None = None
) -> str | None:
    """Count one scan by the terminal (and, when the code could be read, for its holder) and say
    which limit it breaks: "terminal" (too many scans, or too many refused codes lately),
    "holder", or None. With Redis this is one round trip (a script that INCRs the two counters,
    sets their expiry when new, and reads the refused-code counter); otherwise the cache API,
    as ``hit``."""
    when = time.time() if now is None else now
    client = _redis()
    if client is None:
        if exceeded("terminal_bad", terminal_id, now=when) or not hit(
            "terminal", terminal_id, now=when
        ):
            return "terminal"
        if holder_id is not None and not hit("holder", holder_id, now=when):
            return "holder"
        return None
    counted = [("terminal", terminal_id)] + ([("holder", holder_id)] if holder_id else [])
    bad_limit, bad_window = limits("terminal_bad")
    keys = [cache.make_key(_key("terminal_bad", terminal_id, bad_window, when))]
    ttls = []
    for name, ident in counted:
        _limit, window = limits(name)
        keys.append(cache.make_key(_key(name, ident, window, when)))
        ttls.append(window + 5)
    try:
        replies = _script(client)(keys=keys, args=ttls)
    except Exception:  # the cache is down: fail open, the database lockout still holds
        log.warning("rate-limit cache unavailable for scans", exc_info=True)
        return None
    if int(replies[0]) >= bad_limit:
        return "terminal"
    for (name, _ident), count in zip(counted, replies[1:], strict=True):
        if int(count) > limits(name)[0]:
            return name
    return None


# KEYS[1]: the refused-code counter (read); KEYS[2..]: counters to count, ARGV: their TTLs.
_SCAN_LUA = """
local out = {tonumber(redis.call('GET', KEYS[1]) or '0')}
for i = 2, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('EXPIRE', KEYS[i], ARGV[i - 1]) end
  out[i] = n
end
return out
"""


def _script(client: Any) -> Any:
    """The counting script, registered once per client (EVALSHA; loaded again if Redis lost it)."""
    script = getattr(client, "_gonghui_scan_script", None)
    if script is None:
        script = client.register_script(_SCAN_LUA)
        client._gonghui_scan_script = script
    return script
