"""The general PDF writer (core.pdf): several pages, one embedded CJK subset for all of them,
shapes, links; and the charts (core.svgchart) as SVG and as PDF vectors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib

import pytest

from gonghui.core import pdf, svgchart

from .conftest import needs_pdftotext, pdf_text


def streams(data: bytes) -> list[bytes]:
    out = []
    for m in re.finditer(rb"/Length (\d+) /Filter /FlateDecode >>\nstream\n", data):
        raw = data[m.end() : m.end() + int(m.group(1))]
        out.append(zlib.decompress(raw))
    return out


def two_pages() -> bytes:
    doc = pdf.Document(title="测试文档")
    first = doc.page()
    first.text(50, 780, "第一页：全年服务职工63.6万人次", size=14)
    first.text(50, 760, "Latin line (with parens)", size=10, color=(0.2, 0.2, 0.2))
    first.rect(50, 600, 100, 50, fill=(0.1, 0.3, 0.7), stroke=(0, 0, 0))
    first.line(50, 590, 300, 590, width=0.5)
    first.polyline([(50, 500), (100, 550), (150, 520)], stroke=(1, 0, 0), width=2)
    first.polygon([(200, 500), (250, 550), (300, 500)], fill=(0, 1, 0))
    first.circle(400, 500, 5, fill=(0, 0, 1))
    first.link(50, 600, 100, 50, "https://gh.example/admin/dashboard/?org=1&period=custom")
    second = doc.page()
    second.text_center(297, 780, "第二页：月均活跃用户11万人", size=12)
    return doc.render()


def test_pages_shapes_and_links():
    data = two_pages()
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    assert b"/Type /Pages /Kids [" in data and b"/Count 2" in data
    assert data.count(b"/Type /Page ") == 2
    assert data.count(b"/Subtype /Type0") == 1  # one font for both pages
    assert b"/URI (https://gh.example/admin/dashboard/?org=1&period=custom)" in data
    assert b"/Title <FEFF" in data
    content = b"".join(streams(data))
    assert b"re B" in content  # the filled and stroked rectangle
    assert b"50 500 m" in content.replace(b".00", b"") and b"\nS\n" in content
    assert b"h f" in content  # the closed, filled polygon
    assert b" c " in content  # the circle's curves
    assert b"(Latin line \\(with parens\\)) Tj" in content
    # a coloured line keeps its colour to itself (the next text is black again)
    assert b"q 0.2 0.2 0.2 rg\nBT /F1 10 Tf 50.0 760.0 Td" in content
    assert b"Tj ET\nQ\n" in content


@needs_pdftotext
def test_text_of_every_page_comes_back(tmp_path, settings):
    settings.GONGHUI_PDF_FONT = ""
    text = pdf_text(two_pages(), tmp_path)
    assert "第一页：全年服务职工63.6万人次" in text
    assert "第二页：月均活跃用户11万人" in text
    assert "Latin line (with parens)" in text
    assert "\f" in text.strip()  # a page break between them


def test_the_new_font_setting_wins_over_the_old_one(settings, tmp_path, caplog):
    settings.GONGHUI_PDF_FONT = "/nonexistent/new.otf"
    settings.GONGHUI_CERTIFICATE_FONT = "/nonexistent/old.otf"
    doc = pdf.Document()
    doc.page().text(10, 10, "中文")
    data = doc.render()
    assert b"STSong-Light" in data
    assert "GONGHUI_PDF_FONT=/nonexistent/new.otf" in caplog.text
    assert "old.otf" not in caplog.text


def test_wrap_breaks_long_lines_by_width():
    lines = pdf.wrap("全" * 50, 10, 200)
    assert [len(x) for x in lines] == [20, 20, 10]
    assert pdf.wrap("", 10, 100) == [""]


# --- charts --------------------------------------------------------------------------------------
MONTHS = [f"{m}月" for m in range(1, 13)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - the SVG we just wrote


def bar_chart(**kw) -> svgchart.Chart:
    values = [3, 0, 14, 0, 3, 2, 0, 0, 0, 0, 0, 0]
    return svgchart.Chart(
        title="按月服务人次 <测试>",
        categories=MONTHS,
        series=[svgchart.Series("人次", values, labels=kw.pop("labels", None))],
        **kw,
    )


def test_svg_of_a_bar_chart():
    svg = svgchart.to_svg(bar_chart())
    root = parse(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("role") == "img"
    assert root.find(f"{ns}title").text == "按月服务人次 <测试>"  # escaped, read back
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert all(m in texts for m in MONTHS)
    bars = [r for r in root.iter(f"{ns}rect")]
    assert len(bars) == 12
    heights = [float(r.get("height")) for r in bars]
    assert heights[2] > heights[0] > 0 and heights[1] == 0
    assert heights[0] == pytest.approx(heights[4])
    assert "14" in texts and "20" in texts  # a value label and the top of the axis (4 × 5)


def test_labels_override_the_values_shown():
    svg = svgchart.to_svg(bar_chart(labels=["<5"] * 12))
    assert svg.count("&lt;5</text>") == 12


def test_line_and_horizontal_bar_charts():
    line = svgchart.Chart(
        "月活", MONTHS[:4], [svgchart.Series("活跃", [0, 7, 3, 12])], kind=svgchart.LINE
    )
    root = parse(svgchart.to_svg(line))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(list(root.iter(f"{ns}circle"))) == 4
    polylines = [p.get("points") for p in root.iter(f"{ns}polyline")]
    assert any(len(p.split()) == 4 for p in polylines)
    hbar = svgchart.Chart(
        "各类服务人次",
        ["入会", "招聘会签到", "活动报名"],
        [svgchart.Series("人次", [15, 3, 2])],
        kind=svgchart.HBAR,
        height=svgchart.height_for(svgchart.HBAR, 3),
    )
    root = parse(svgchart.to_svg(hbar))
    widths = [float(r.get("width")) for r in root.iter(f"{ns}rect")]
    assert widths[0] > widths[1] > widths[2] > 0


def test_axis_top_is_a_round_number():
    assert [svgchart.nice_max(v) for v in (0, 3, 14, 41, 99, 1234)] == [4, 4, 20, 80, 100, 2000]


@needs_pdftotext
def test_the_chart_in_a_pdf_is_vector_and_its_labels_are_text(tmp_path, settings):
    settings.GONGHUI_PDF_FONT = ""
    doc = pdf.Document()
    page = doc.page()
    bottom = svgchart.draw_pdf(page, bar_chart(), x=50, y=780)
    assert bottom == 780 - 220
    data = doc.render()
    content = b"".join(streams(data))
    assert content.count(b" re f\n") == 4  # the bars (a zero bar is not drawn)
    text = pdf_text(data, tmp_path)
    assert "按月服务人次" in text and "12月" in text and "14" in text
