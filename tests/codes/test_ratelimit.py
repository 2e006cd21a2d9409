"""codes.ratelimit.scan_verdict: one round trip per scan, the same verdicts with Redis or without."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from gonghui.codes import ratelimit


class _DownClient:
    def register_script(self, _source):
        def run(**_kwargs):
            raise ConnectionError("redis is down")

        return run


def _verdicts(settings, n: int) -> list[str | None]:
    settings.GONGHUI_CODES_RATE_LIMITS = {"terminal": (3, 60), "holder": (2, 60)}
    return [ratelimit.scan_verdict(7, 70 + (i // 4), now=1_000.0) for i in range(n)]


def test_terminal_and_holder_limits_with_the_configured_cache(settings):
    # holder 70 scans 4 times (2 allowed), then holder 71: the terminal's 3 run out first
    assert _verdicts(settings, 5) == [None, None, "holder", "terminal", "terminal"]


def test_refused_codes_stop_the_terminal(settings):
    settings.GONGHUI_CODES_RATE_LIMITS = {"terminal_bad": (2, 600)}
    assert ratelimit.scan_verdict(8, None, now=2_000.0) is None
    ratelimit.hit("terminal_bad", 8, now=2_000.0)
    ratelimit.hit("terminal_bad", 8, now=2_000.0)
    assert ratelimit.scan_verdict(8, None, now=2_000.0) == "terminal"
    assert ratelimit.scan_verdict(9, None, now=2_000.0) is None  # another terminal


def test_redis_down_fails_open(settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "_redis", lambda: _DownClient())
    settings.GONGHUI_CODES_RATE_LIMITS = {"terminal": (0, 60)}
    assert ratelimit.scan_verdict(1, 2) is None


def test_the_redis_path_is_taken_when_the_cache_is_redis():
    from django.core.cache.backends.redis import RedisCache

    if not isinstance(caches["default"], RedisCache):
        pytest.skip("the cache is not Redis here (set REDIS_URL): the cache-API path was tested")
    client = ratelimit._redis()
    assert client is not None and ratelimit._redis() is client  # kept per backend
