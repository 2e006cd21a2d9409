"""The yearly work report: its figures equal the selectors, its links are the drill-downs,
small counts are suppressed when it is marked for publication, and its pages are scoped."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import unescape
from urllib.parse import unquote

import pytest

from gonghui.core.timeutil import local_today
from gonghui.dashboard import report as rep
from gonghui.dashboard.report_pdf import report_pdf
from gonghui.members import selectors as ms
from gonghui.orgs.models import Org, Role
from tests.factories import make_staff

from .conftest import YEAR, needs_pdftotext, pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.report.urls")]

URL = "/admin/dashboard/report/"
PDF_URL = "/admin/dashboard/report.pdf"
FIGURE = re.compile(
    r'<a class="figure( suppressed)?" href="([^"]+)" data-figure="([^"]*)">([^<]*)</a>'
)


def span(year: int = YEAR) -> tuple[dt.datetime, dt.datetime]:
    return rep.local_bounds(dt.date(year, 1, 1), dt.date(year, 12, 31))


def mau(org: Org) -> list[int]:
    return [
        ms.active_members(org=org, start=a, end=b)
        for a, b in rep.months(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))
    ]


# --- numbers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (4, "4"),
        (9_999, "9,999"),
        (10_000, "1.0万"),
        (12_345, "1.23万"),
        (636_000, "63.6万"),
        (110_000, "11.0万"),
        (123_456_789, "1.23亿"),
        (Decimal("12.5"), "12.5"),
    ],
)
def test_counts_read_in_chinese_style(n, text):
    assert rep.format_count(n) == text


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0元"),
        (12_345, "123.45元"),
        (12_300, "123元"),
        (99_999_999, "100.0万元"),
        (1_708_400_000, "1,708.4万元"),
        (14_245_678, "14.25万元"),
    ],
)
def test_money_reads_in_yuan_and_wan_yuan(fen, text):
    assert rep.format_yuan(fen) == text


def test_months_of_a_year_and_of_the_current_year():
    assert len(rep.months(dt.date(2025, 1, 1), dt.date(2025, 12, 31))) == 12
    assert rep.months(dt.date(2026, 1, 1), dt.date(2026, 3, 3))[-1] == (
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 3),
    )
    assert rep.year_span(2026, today=dt.date(2026, 3, 3)) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 3),
    )
    assert rep.year_span(2025, today=dt.date(2026, 3, 3))[1] == dt.date(2025, 12, 31)


# --- the figures ---------------------------------------------------------------------------------
def test_the_report_figures_equal_the_selectors(town, test_figures):
    start, end = span()
    r = rep.report_build(org=town.fed, year=YEAR)
    total = ms.person_times(org=town.fed, start=start, end=end)
    assert total == 20  # the fixture: next year's event is not in this year
    served, used, active = (s.cells[0] for s in r.headline[:3])
    assert served.value == total and served.text == "20"
    assert used.value == rep.funds_used(org=town.fed, start=start, end=end) == 14_245_678
    assert used.text == "14.25万元"
    assert active.value == round(sum(mau(town.fed)) / 12) == 1
    spent = ms.amounts(org=town.fed, start=start, end=end)
    assert any(s.cells[0].value == spent["spent"] == 30_000 for s in r.headline)
    by_kind = ms.person_times_by_kind(org=town.fed, start=start, end=end)
    service_line = next(s for s in r.headline if len(s.cells) == len(by_kind))
    assert sorted(c.value for c in service_line.cells) == sorted(by_kind.values())
    # a union's report reads its own subtree
    a = rep.report_build(org=town.a, year=YEAR)
    assert a.headline[0].cells[0].value == ms.person_times(org=town.a, start=start, end=end) == 18
    # the registered figures, in their section; a section with no figure is left out
    [section] = r.sections
    assert section.title == "测试服务"
    cells = section.sentences[0].cells
    assert [c.value for c in cells] == [40, 123_456_789, 12_345, 777]
    assert section.sentences[0].text == (
        "开展活动场次：40；补助金额：123.46万元；志愿服务时长：1.23万小时；内部数字：777。"
    )
    assert r.headline[0].text == "全年服务职工20人次。"
    assert r.headline[1].text == "工会经费、福利费使用14.25万元。"


def test_monthly_charts_follow_the_months(town, test_figures):
    r = rep.report_build(org=town.fed, year=YEAR)
    by_month, by_kind, active = r.charts
    assert list(by_month.series[0].values) == [1, 0, 14, 0, 3, 2, 0, 0, 0, 0, 0, 0]
    assert list(active.series[0].values) == mau(town.fed) == [0, 0, 7, 3] + [0] * 8
    assert sorted(by_kind.series[0].values, reverse=True) == [15, 3, 2]


def test_the_current_year_runs_to_today(town, test_figures):
    r = rep.report_build(org=town.fed, year=YEAR + 1, today=dt.date(YEAR + 1, 2, 10))
    assert r.end == dt.date(YEAR + 1, 2, 10)
    assert r.headline[0].cells[0].value == 1
    assert len(r.charts[0].categories) == 2


def test_links_are_the_drill_downs_with_the_period(town, test_figures):
    r = rep.report_build(org=town.a, year=YEAR)
    query = f"?org={town.a.pk}&period=custom&start={YEAR}-01-01&end={YEAR}-12-31"
    assert r.headline[0].cells[0].url == "/admin/dashboard/" + query
    cells = r.sections[0].sentences[0].cells
    assert cells[0].url == "/admin/dashboard/figure/testing.sessions/" + query


# --- suppression ---------------------------------------------------------------------------------
def test_marked_for_publication_small_counts_are_suppressed(town, test_figures, settings):
    b = rep.report_build(org=town.b, year=YEAR, public=True)
    served = b.headline[0].cells[0]
    assert served.suppressed and served.value is None and served.text == "<5"
    assert b.headline[0].text == "全年服务职工<5人次。"
    # the registered count 3 is suppressed, the amount is not, the internal figure is left out
    cells = b.sections[0].sentences[0].cells
    assert [c.text for c in cells] == ["<5", "123.46万元", "1.23万小时"]
    assert "内部数字" not in b.sections[0].sentences[0].text
    # and in the charts: no bar, the label "<5"
    by_month = b.charts[0]
    assert list(by_month.series[0].values) == [0] * 12
    assert by_month.series[0].labels[2] == "<5"
    # the same org, not for publication: every figure as it is
    internal = rep.report_build(org=town.b, year=YEAR)
    assert internal.headline[0].cells[0].value == 2
    assert "内部数字：777" in internal.sections[0].sentences[0].text
    # the threshold is a setting
    settings.GONGHUI_REPORT_SUPPRESS_BELOW = 2
    shown = rep.report_build(org=town.b, year=YEAR, public=True)
    assert shown.headline[0].cells[0].value == 2 and shown.headline[0].text == "全年服务职工2人次。"


def test_large_counts_are_shown_when_public(town, test_figures):
    r = rep.report_build(org=town.fed, year=YEAR, public=True)
    assert r.headline[0].cells[0].value == 20
    assert r.sections[0].sentences[0].cells[0].value == 40


# --- the pages -----------------------------------------------------------------------------------
def html_figures(content: str) -> list[tuple[bool, str, str, str]]:
    return [(bool(s), unescape(h), v, unescape(t)) for s, h, v, t in FIGURE.findall(content)]


def test_html_page_shows_the_figures_with_their_links(client, town, test_figures):
    client.force_login(make_staff(town.fed, Role.FEDERATION_ADMIN))
    response = client.get(URL, {"org": town.fed.pk, "year": YEAR})
    assert response.status_code == 200
    content = response.content.decode()
    r = rep.report_build(org=town.fed, year=YEAR)
    expected = [
        (c.suppressed, c.url, "" if c.value is None else str(c.value), c.text)
        for s in r.all_sentences()
        for c in s.cells
    ]
    assert html_figures(content) == expected
    start, end = span()
    assert expected[0][2] == str(ms.person_times(org=town.fed, start=start, end=end))
    assert "玉环市总工会" in content and "全年服务职工" in content
    assert content.count("<svg") == 3 and "<script" not in content
    assert f"{PDF_URL}?org={town.fed.pk}&amp;year={YEAR}" in content
    assert "机械工会" in content  # the units below, to switch to


def test_html_page_marked_for_publication(client, town, test_figures):
    client.force_login(make_staff(town.fed, Role.AUDITOR))
    response = client.get(URL, {"org": town.b.pk, "year": YEAR, "public": "1"})
    assert response.status_code == 200
    content = response.content.decode()
    figures = html_figures(content)
    assert figures[0][0] is True and figures[0][3] == "<5"
    assert "内部数字" not in content and "777" not in content
    assert 'data-testid="report-public"' in content


def test_default_org_is_the_top_of_the_scope_and_default_year_this_one(client, town):
    client.force_login(make_staff(town.a, Role.UNION_ADMIN))
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["params"].org == town.a
    assert response.context["report"].year == local_today().year


def test_scope_other_org_unknown_org_and_bad_year_are_404(client, town):
    client.force_login(make_staff(town.a, Role.UNION_ADMIN))
    assert client.get(URL, {"org": town.b.pk}).status_code == 404
    assert client.get(URL, {"org": town.fed.pk}).status_code == 404  # above the scope
    assert client.get(PDF_URL, {"org": town.b.pk}).status_code == 404
    assert client.get(URL, {"org": 999_999}).status_code == 404
    assert client.get(URL, {"org": "x1"}).status_code == 404
    assert client.get(URL, {"org": town.a.pk, "year": "1999"}).status_code == 404
    assert client.get(URL, {"org": town.a.pk, "year": "abc"}).status_code == 404
    assert client.get(URL, {"org": town.a.pk, "year": YEAR}).status_code == 200


def test_only_staff_with_the_dashboard_capability(client, town):
    client.force_login(make_staff(town.a, Role.REVIEWER))
    assert client.get(URL, {"org": town.a.pk}).status_code == 403
    client.logout()
    response = client.get(URL, {"org": town.a.pk})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- the PDF ---------------------------------------------------------------------------------------
def test_pdf_download(client, town, test_figures):
    client.force_login(make_staff(town.fed, Role.FEDERATION_ADMIN))
    response = client.get(PDF_URL, {"org": town.a.pk, "year": YEAR, "public": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-1.4")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    name = unquote(disposition.split("''", 1)[1])
    assert "机械工会" in name and str(YEAR) in name and name.endswith(".pdf")


@needs_pdftotext
def test_pdf_text_holds_the_figures(town, test_figures, tmp_path, settings):
    settings.GONGHUI_PDF_FONT = ""
    r = rep.report_build(org=town.fed, year=YEAR)
    data = report_pdf(r)
    assert b"/FontFile" in data or b"STSong-Light" in data
    text = re.sub(r"\s+", "", pdf_text(data, tmp_path))
    assert "玉环市总工会" in text
    for s in r.all_sentences():
        assert re.sub(r"\s+", "", s.text) in text, s.text
    assert "按月服务人次" in text and "月活跃用户" in text


@needs_pdftotext
def test_pdf_marked_for_publication_shows_no_small_count(town, test_figures, tmp_path):
    r = rep.report_build(org=town.b, year=YEAR, public=True)
    text = re.sub(r"\s+", "", pdf_text(report_pdf(r), tmp_path))
    assert "全年服务职工<5人次" in text
    assert "内部数字" not in text and "777" not in text
