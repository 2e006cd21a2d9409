"""Issue #13's acceptance walk in Debian's Chromium, over the demo with its year of history: the
federation admin signs in and lands on the dashboard, sees non-zero figures, drills from the
city to a township to a grassroots union and on to the rows, exports a table to .xlsx (read back
with openpyxl), opens the work report and its PDF (read back with pdftotext).

PostgreSQL pass only: the demo and its history load once for this module, in a live server."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection

from gonghui.core.timeutil import local_today
from gonghui.demo import data
from gonghui.orgs.models import Org

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="runs in the PostgreSQL pass (the demo with its history loads in a live server)",
    ),
]


def _number(text: str) -> int:
    digits = re.sub(r"[^\d]", "", text)
    return int(digits) if digits else 0


def test_fed_admin_walks_dashboard_drill_down_export_and_report(
    live_server, browser, tmp_path, settings
):
    settings.GONGHUI_DEMO_HISTORY = True  # the suite loads the demo without its year elsewhere
    # The default case types a fresh install has from rights' data migration: earlier
    # transactional tests flushed them (idempotent: get_or_create).
    import_module("gonghui.rights.migrations.0002_case_types").forwards(django_apps, None)
    call_command("demo", stdout=io.StringIO())
    root = Org.get_root_nodes().get()
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 1000}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(30000)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    try:
        # Signs in and lands on the dashboard.
        page.goto(f"{live_server.url}/admin/")
        page.fill("#id_username", "fed_admin")
        page.fill("#id_password", data.PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_url(re.compile(r".*/admin/$"))
        page.wait_for_selector('[data-testid="dashboard"]')

        # The last 365 days: the demo's history lies in the twelve months before today.
        last = local_today()
        first = last - dt.timedelta(days=364)
        page.goto(
            f"{live_server.url}/admin/dashboard/?org={root.pk}&period=custom"
            f"&start={first.isoformat()}&end={last.isoformat()}"
        )
        values = [_number(t) for t in page.locator(".gh-dash-stat-value").all_text_contents()]
        # 服务人次 of those days: the demo's year of history is there (the demo alone has a few dozen)
        assert values and values[0] > 1000, values
        served = values[0]
        year = page.locator('[data-testid="report-link"]').get_attribute("href") or ""

        # Export the headline table and read it back.
        with page.expect_download() as dl:
            page.locator('[data-table="headline"] .gh-dash-export').click()
        path = tmp_path / "headline.xlsx"
        dl.value.save_as(path)
        from openpyxl import load_workbook

        sheet = load_workbook(path).active
        cells = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
        assert any(served in row or str(served) in row for row in cells), cells

        # Drill: the city → a township → a grassroots union → the rows.
        page.locator('[data-table="breakdown"] tbody a').first.click()
        page.wait_for_selector('[data-testid="dashboard-figure"]')
        township = page.locator(".gh-dash-trail strong").text_content()
        assert township and township != root.name
        page.locator('[data-testid="dashboard-figure"] tbody a').first.click()
        page.wait_for_selector('[data-testid="dashboard-figure"]')
        trail = page.locator(".gh-dash-trail").text_content() or ""
        assert root.name in trail and township in trail
        union_name = page.locator(".gh-dash-trail strong").text_content() or ""
        union = Org.objects.get(name=union_name)
        assert union.depth == 3, union  # a grassroots union under its township
        page.locator('[data-testid="rows-link"]').click()
        page.wait_for_url(re.compile(r".*/admin/members/serviceevent/\?"))
        rows = page.locator("#result_list tbody tr")
        assert rows.count() > 0

        # The work report, its figures, and its PDF.
        page.goto(f"{live_server.url}{year}")
        page.wait_for_selector('[data-testid="report-pdf"]')
        body = page.locator("body").text_content() or ""
        assert "全年服务职工" in body, body[:500]
        with page.expect_download() as dl:
            page.locator('[data-testid="report-pdf"]').click()
        pdf = tmp_path / "report.pdf"
        dl.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = subprocess.run(
                ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
            assert "全年服务职工" in text and "人次" in text, text[:500]
        assert not problems, problems
    finally:
        context.close()
