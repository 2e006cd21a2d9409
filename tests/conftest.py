"""Shared fixtures. Roles are named explicitly in tests (``federation_admin``, ``union_admin``…)."""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connection

from gonghui.core.sms import MemorySmsBackend

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def postgres_only():
    """Mark a test that proves something only on PostgreSQL (SQLite serialises writers)."""
    return pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: set DATABASE_URL=postgres://… (SQLite serialises writers)",
    )


@pytest.fixture(scope="session", autouse=True)
def _demo_without_its_year():
    """``gonghui demo`` without its past year (gonghui.demo.history): a minute of services that
    only tests/demo/test_history.py reads (it turns the year on for its own module)."""
    from django.conf import settings

    settings.GONGHUI_DEMO_HISTORY = False
    yield


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.GONGHUI_SMS_BACKEND = "gonghui.core.sms.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox


@pytest.fixture
def sms_outbox(_sms_outbox):
    return _sms_outbox


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from gonghui.members.activity import forget_seen

    cache.clear()
    forget_seen()  # the process's memory of member activity already noted (ids are reused)
    yield


DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every cache call raises


@pytest.fixture
def dead_redis(settings):
    """The cache is Redis, and Redis is down (connection refused on every call)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    from django.core.cache import cache

    with pytest.raises(Exception):  # noqa: B017 - redis' ConnectionError
        cache.get("probe")
    yield DEAD_REDIS


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; skipped with a reason when it is not installed."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()
