"""Server-rendered charts: one small model (bars or lines over labelled categories), laid out
once into drawing primitives, written as SVG for HTML pages (no JavaScript) and as vector
drawing operations on a ``core.pdf`` page.

    chart = Chart(title="…", categories=["1月", …], series=[Series("…", [3, 5, …])], kind=BAR)
    svg = to_svg(chart)                      # an <svg> element (text escaped)
    draw_pdf(page, chart, x=50, y=400)       # the same drawing, (x, y) its top-left corner

``kind`` is ``bar`` (vertical bars, grouped when there are several series), ``hbar``
(horizontal bars: long category labels, one series) or ``line``. Values are labelled with
``fmt`` (default: the integer); the value axis starts at 0 and ends at a round number."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from .pdf import Page, text_width

BAR: Literal["bar"] = "bar"
HBAR: Literal["hbar"] = "hbar"
LINE: Literal["line"] = "line"

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2")
AXIS = "#9ca3af"
GRID = "#e5e7eb"
INK = "#111827"
MUTED = "#4b5563"


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]
    labels: Sequence[str] | None = None  # the value labels; None: the chart's ``fmt``
    color: str = ""  # "#rrggbb"; empty: the palette's next

    def text_at(self, i: int, fmt: Callable[[float], str]) -> str:
        if self.labels is not None and i < len(self.labels):
            return self.labels[i]
        return fmt(self.values[i])


def plain(v: float) -> str:
    return str(round(v))


@dataclass(frozen=True)
class Chart:
    title: str
    categories: Sequence[str]
    series: Sequence[Series]
    kind: Literal["bar", "hbar", "line"] = BAR
    fmt: Callable[[float], str] = plain
    width: float = 500
    height: float = 220


# --- primitives (SVG coordinates: origin top-left, y down) ---------------------------------------
@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str


@dataclass(frozen=True)
class Poly:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 1


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float
    fill: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float  # the baseline
    text: str
    size: float
    anchor: Literal["start", "middle", "end"] = "start"
    fill: str = INK


Primitive = Rect | Poly | Dot | Label


def nice_max(value: float) -> float:
    """The top of the value axis: four ticks of a round step (1, 2, 5 × 10^k, also 2.5 × 10^k
    from 25 on; at least 1) reaching ``value``."""
    need = max(value, 0) / 4
    if need <= 1:
        return 4
    power = 10 ** math.floor(math.log10(need))
    steps = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)
    return 4 * next(m * power for m in steps if m * power >= need)


def _colors(chart: Chart) -> list[str]:
    return [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(chart.series)]


def layout(chart: Chart) -> list[Primitive]:
    """The chart as primitives in a ``width`` × ``height`` box."""
    out: list[Primitive] = [Label(0, 14, chart.title, 12, fill=INK)]
    colors = _colors(chart)
    if len(chart.series) > 1:  # a legend after the title
        x = text_width(chart.title, 12) + 16
        for s, color in zip(chart.series, colors, strict=True):
            out.append(Rect(x, 6, 9, 9, color))
            out.append(Label(x + 12, 14, s.label, 9, fill=MUTED))
            x += 12 + text_width(s.label, 9) + 12
    top = 28.0
    values = [v for s in chart.series for v in s.values]
    vmax = nice_max(max(values, default=0))
    if chart.kind == HBAR:
        out += _hbar(chart, colors[0] if colors else PALETTE[0], top, vmax)
        return out
    tick_w = max(text_width(chart.fmt(vmax * i / 4), 8) for i in range(5))
    left, right, bottom = tick_w + 6, chart.width - 4, chart.height - 18
    plot_h = bottom - top - 10
    for i in range(5):  # grid and value axis
        y = bottom - plot_h * i / 4
        out.append(Poly(((left, y), (right, y)), AXIS if i == 0 else GRID, 0.6))
        out.append(Label(left - 4, y + 3, chart.fmt(vmax * i / 4), 8, "end", MUTED))
    n = max(len(chart.categories), 1)
    slot = (right - left) / n
    for i, cat in enumerate(chart.categories):
        out.append(Label(left + slot * (i + 0.5), bottom + 12, cat, 8, "middle", MUTED))

    def y_of(v: float) -> float:
        return bottom - plot_h * max(v, 0) / vmax

    if chart.kind == LINE:
        for s, color in zip(chart.series, colors, strict=True):
            pts = tuple((left + slot * (i + 0.5), y_of(v)) for i, v in enumerate(s.values))
            out.append(Poly(pts, color, 1.6))
            for i, (x, y) in enumerate(pts):
                out.append(Dot(x, y, 2.2, color))
                if len(chart.series) == 1:
                    out.append(Label(x, y - 5, s.text_at(i, chart.fmt), 7, "middle", MUTED))
        return out
    k = max(len(chart.series), 1)
    bar_w = slot * 0.7 / k
    for j, (s, color) in enumerate(zip(chart.series, colors, strict=True)):
        for i, v in enumerate(s.values):
            x = left + slot * i + slot * 0.15 + bar_w * j
            y = y_of(v)
            out.append(Rect(x, y, bar_w, bottom - y, color))
            if k == 1:
                out.append(Label(x + bar_w / 2, y - 3, s.text_at(i, chart.fmt), 7, "middle", MUTED))
    return out


def _hbar(chart: Chart, color: str, top: float, vmax: float) -> list[Primitive]:
    out: list[Primitive] = []
    series = chart.series[0] if chart.series else Series("", [])
    values = list(series.values)
    label_w = min(max((text_width(c, 9) for c in chart.categories), default=0), chart.width / 3)
    left = label_w + 8
    texts = [series.text_at(i, chart.fmt) for i in range(len(values))]
    right = chart.width - 8 - max((text_width(t, 8) for t in texts), default=0)
    n = max(len(chart.categories), 1)
    row = (chart.height - top) / n
    out.append(Poly(((left, top), (left, chart.height)), AXIS, 0.6))
    for i, cat in enumerate(chart.categories):
        v = values[i] if i < len(values) else 0
        y = top + row * i
        w = (right - left) * max(v, 0) / vmax
        out.append(Label(left - 6, y + row / 2 + 3, cat, 9, "end", INK))
        out.append(Rect(left, y + row * 0.2, w, row * 0.6, color))
        text = texts[i] if i < len(texts) else chart.fmt(0)
        out.append(Label(left + w + 4, y + row / 2 + 3, text, 8, "start", MUTED))
    return out


def height_for(kind: str, categories: int) -> float:
    """A good height for a chart of ``categories`` (horizontal bars grow with their rows)."""
    return 28 + 20 * max(categories, 1) if kind == HBAR else 220


# --- SVG -----------------------------------------------------------------------------------------
def _f(v: float) -> str:
    return f"{v:.1f}".removesuffix(".0")


def to_svg(chart: Chart) -> str:
    """The chart as one ``<svg>`` element (every text escaped), scaling to its container."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(chart.width)} '
        f'{_f(chart.height)}" width="{_f(chart.width)}" height="{_f(chart.height)}" '
        f'role="img" aria-label="{escape(chart.title)}" class="gh-chart">'
        f"<title>{escape(chart.title)}</title>"
    ]
    for p in layout(chart):
        if isinstance(p, Rect):
            parts.append(
                f'<rect x="{_f(p.x)}" y="{_f(p.y)}" width="{_f(p.w)}" height="{_f(p.h)}" '
                f'fill="{p.fill}"/>'
            )
        elif isinstance(p, Poly):
            pts = " ".join(f"{_f(x)},{_f(y)}" for x, y in p.points)
            parts.append(
                f'<polyline points="{pts}" fill="none" stroke="{p.stroke}" '
                f'stroke-width="{_f(p.width)}"/>'
            )
        elif isinstance(p, Dot):
            parts.append(f'<circle cx="{_f(p.x)}" cy="{_f(p.y)}" r="{_f(p.r)}" fill="{p.fill}"/>')
        else:
            parts.append(
                f'<text x="{_f(p.x)}" y="{_f(p.y)}" font-size="{_f(p.size)}" '
                f'text-anchor="{p.anchor}" fill="{p.fill}">{escape(p.text)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


# --- PDF -----------------------------------------------------------------------------------------
def rgb(color: str) -> tuple[float, float, float]:
    """'#rrggbb' as an RGB triple of floats in [0, 1]."""
    h = color.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255)


def draw_pdf(page: Page, chart: Chart, *, x: float, y: float) -> float:
    """Draw the chart on ``page`` with its top-left corner at (x, y) in PDF points (y up);
    answers the y of its bottom edge."""

    def px(v: float) -> float:
        return x + v

    def py(v: float) -> float:
        return y - v

    for p in layout(chart):
        if isinstance(p, Rect):
            if p.w > 0 and p.h > 0:
                page.rect(px(p.x), py(p.y + p.h), p.w, p.h, fill=rgb(p.fill))
        elif isinstance(p, Poly):
            page.polyline(
                [(px(a), py(b)) for a, b in p.points], stroke=rgb(p.stroke), width=p.width
            )
        elif isinstance(p, Dot):
            page.circle(px(p.x), py(p.y), p.r, fill=rgb(p.fill))
        else:
            draw = {"start": page.text, "middle": page.text_center, "end": page.text_right}
            draw[p.anchor](px(p.x), py(p.y), p.text, size=p.size, color=rgb(p.fill))
    return y - chart.height
