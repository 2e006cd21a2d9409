"""The demo's past year (``gonghui.demo.history``): runs last, after every app's own data.
Off when ``GONGHUI_DEMO_HISTORY`` is false (most tests: the demo without its year)."""

from __future__ import annotations

from django.conf import settings

from gonghui.demo.history import history_load

ORDER = 900


def load() -> int:
    if not settings.GONGHUI_DEMO_HISTORY:
        return 0
    return sum(history_load().values())
