"""The yearly work report as a PDF: A4 pages written by ``core.pdf`` (the CJK font embedded),
the charts drawn as vectors by ``core.svgchart`` — the same ``Report`` as the HTML page."""

from __future__ import annotations

from django.utils.translation import gettext as _

from gonghui.core.pdf import PAGE_H, PAGE_W, Document, Page, wrap
from gonghui.core.svgchart import Chart, draw_pdf

from .report import Report

MARGIN = 48
WIDTH = PAGE_W - 2 * MARGIN
GREY = (0.3, 0.3, 0.3)
BLUE = (0.1, 0.3, 0.7)


class _Writer:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.doc = Document(title=report.title)
        self.page: Page = self.doc.page()
        self.y: float = PAGE_H - MARGIN

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` points still fit on this one."""
        if self.y - height < MARGIN + 20:
            self.page = self.doc.page()
            self.y = PAGE_H - MARGIN

    def lines(
        self,
        text: str,
        *,
        size: float,
        color: tuple[float, float, float] | None = None,
        gap: float = 4,
    ) -> None:
        for line in wrap(text, size, WIDTH):
            self.need(size + gap)
            self.y -= size + gap
            self.page.text(MARGIN, self.y, line, size=size, color=color)

    def heading(self, text: str) -> None:
        self.need(60)
        self.y -= 10
        self.lines(text, size=14, color=BLUE, gap=6)
        self.page.line(MARGIN, self.y - 5, PAGE_W - MARGIN, self.y - 5, stroke=BLUE, width=0.6)
        self.y -= 10

    def chart(self, chart: Chart) -> None:
        chart_w = min(chart.width, WIDTH)
        chart = Chart(
            title=chart.title,
            categories=chart.categories,
            series=chart.series,
            kind=chart.kind,
            fmt=chart.fmt,
            width=chart_w,
            height=chart.height,
        )
        self.need(chart.height + 16)
        self.y -= 12
        self.y = draw_pdf(self.page, chart, x=MARGIN, y=self.y) - 4

    def write(self) -> bytes:
        r = self.report
        self.lines(r.title, size=20, gap=8)
        self.y -= 4
        self.lines(r.period_text, size=11, color=GREY)
        if r.public:
            self.lines(
                _("Marked for publication: counts below %(n)s are not shown.") % {"n": r.threshold},
                size=9,
                color=GREY,
            )
        self.heading(_("Overview"))
        for s in r.headline:
            self.lines(s.text, size=12, gap=7)
        if r.charts:
            self.heading(_("Charts"))
            for c in r.charts:
                self.chart(c)
        for section in r.sections:
            self.heading(section.title)
            for s in section.sentences:
                self.lines(s.text, size=12, gap=7)
        for i, page in enumerate(self.doc.pages, start=1):
            page.text_center(
                PAGE_W / 2,
                24,
                _("Page %(n)s of %(total)s") % {"n": i, "total": len(self.doc.pages)},
                size=8,
                color=GREY,
            )
        return self.doc.render()


def report_pdf(report: Report) -> bytes:
    """The report as PDF bytes."""
    return _Writer(report).write()
