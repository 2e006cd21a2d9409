"""The dashboard's charts draw in Chromium (ECharts from the vendor folder, data by json_script)
without a Content-Security-Policy violation or a script error."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client

from gonghui.orgs.models import Role
from tests.factories import make_staff

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_charts_draw_without_csp_violations(browser, live_server, world):
    client = Client()
    client.force_login(make_staff(world.city, Role.FEDERATION_ADMIN))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1600})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(30000)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and "favicon" not in m.text and "404" not in m.text
            else None
        ),
    )
    try:
        page.goto(
            f"{live_server.url}/admin/dashboard/?org={world.city.pk}&period=month&start=2026-10-01"
        )
        for name in ("trend", "daily_active", "kinds", "children"):
            page.wait_for_selector(f'.gh-chart[data-chart="{name}"] svg', state="attached")
        text = page.locator('.gh-chart[data-chart="kinds"]').text_content() or ""
        assert "商户优惠" in text, text  # the kind's label, in Chinese, on the axis
        assert not problems, problems
        if shot := os.environ.get("GONGHUI_DASHBOARD_SHOT"):
            page.screenshot(path=shot, full_page=True)
    finally:
        context.close()
