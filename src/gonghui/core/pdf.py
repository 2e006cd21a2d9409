"""A small pure-Python PDF writer (no reportlab): A4 pages of text lines, rectangles, lines,
polylines, filled shapes and links.

Chinese text uses a subset of a real CJK font embedded in the file (``core.pdffont``: Noto Serif
CJK SC by default, ``GONGHUI_PDF_FONT`` or the older ``GONGHUI_CERTIFICATE_FONT`` to choose
another), so every viewer shows the same glyphs; one subset covers every page. Without a usable
font file it falls back, with a logged warning, to the PDF standard CJK font STSong-Light
(Adobe-GB1, encoding UniGB-UCS2-H), which the viewer must supply. Latin-only lines use
Helvetica. Coordinates are PDF points from the bottom left of the page; colours are RGB triples
of floats in [0, 1].

Used by the academy's certificates (with a QR drawn as filled squares) and the yearly work
report (``dashboard.report_pdf``, with vector charts from ``core.svgchart``)."""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from . import pdffont

PAGE_W, PAGE_H = 595, 842  # A4 in points

Color = tuple[float, float, float]
BLACK: Color = (0.0, 0.0, 0.0)


def _utf16_hex(text: str) -> str:
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def latin_string(text: str) -> str:
    """A PDF literal string of ``text`` (Latin-1; other characters become '?')."""
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return "(" + safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


def _rgb(color: Color) -> str:
    return " ".join(_num(round(c, 3)) for c in color)


def text_width(text: str, size: float) -> float:
    """An estimate of the width of ``text`` at ``size`` points, for layout: wide (CJK)
    characters one em, the others about half an em."""
    return sum(size if unicodedata.east_asian_width(c) in ("W", "F") else size * 0.55 for c in text)


def wrap(text: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (by the estimate of ``text_width``)."""
    lines: list[str] = []
    line = ""
    for c in text:
        if line and text_width(line + c, size) > width:
            lines.append(line)
            line = ""
        line += c
    if line or not lines:
        lines.append(line)
    return lines


@dataclass(frozen=True)
class _Text:
    x: float
    y: float
    size: float
    text: str
    color: Color | None

    def ops(self, cjk: Callable[[str], str]) -> str:
        size = _num(self.size)
        if self.text.isascii():
            ops = f"BT /F1 {size} Tf {self.x:.1f} {self.y:.1f} Td {latin_string(self.text)} Tj ET\n"
        else:
            ops = f"BT /F2 {size} Tf {self.x:.1f} {self.y:.1f} Td {cjk(self.text)} Tj ET\n"
        if self.color is None:
            return ops
        return f"q {_rgb(self.color)} rg\n{ops}Q\n"  # the colour ends with the line


@dataclass(frozen=True)
class _Link:
    x: float
    y: float
    w: float
    h: float
    url: str


class Page:
    """One A4 page; draw on it, then ``Document.render``."""

    def __init__(self, width: float = PAGE_W, height: float = PAGE_H) -> None:
        self.width, self.height = width, height
        self._items: list[str | _Text] = []
        self._links: list[_Link] = []

    # --- text ---
    def text(
        self, x: float, y: float, text: str, *, size: float = 12, color: Color | None = None
    ) -> None:
        """One line of text with its baseline at ``y``, starting at ``x``."""
        if text:
            self._items.append(_Text(x, y, size, text, color))

    def text_right(
        self, x: float, y: float, text: str, *, size: float = 12, color: Color | None = None
    ) -> None:
        """One line ending (by estimate) at ``x``."""
        self.text(x - text_width(text, size), y, text, size=size, color=color)

    def text_center(
        self, x: float, y: float, text: str, *, size: float = 12, color: Color | None = None
    ) -> None:
        """One line centred (by estimate) on ``x``."""
        self.text(x - text_width(text, size) / 2, y, text, size=size, color=color)

    # --- shapes ---
    def raw(self, ops: str) -> None:
        """Content-stream operators drawn as given (ASCII), inside their own q … Q."""
        self._items.append(f"q\n{ops}Q\n")

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: Color | None = None,
        stroke: Color | None = None,
        width: float = 1,
    ) -> None:
        paint = _paint(fill, stroke)
        if paint:
            self.raw(
                _style(fill, stroke, width)
                + f"{_num(x)} {_num(y)} {_num(w)} {_num(h)} re {paint}\n"
            )

    def rects(self, boxes: Iterable[tuple[float, float, float, float]], *, fill: Color) -> None:
        """Many filled rectangles (x, y, w, h) in one path (a QR code's modules)."""
        ops = "".join(f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re\n" for x, y, w, h in boxes)
        if ops:
            self.raw(f"{_rgb(fill)} rg\n{ops}f\n")

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        *,
        stroke: Color = BLACK,
        width: float = 1,
    ) -> None:
        self.polyline([(x1, y1), (x2, y2)], stroke=stroke, width=width)

    def polyline(
        self, points: Sequence[tuple[float, float]], *, stroke: Color = BLACK, width: float = 1
    ) -> None:
        if len(points) >= 2:
            self.raw(_style(None, stroke, width) + _path(points) + "S\n")

    def polygon(
        self,
        points: Sequence[tuple[float, float]],
        *,
        fill: Color | None = None,
        stroke: Color | None = None,
        width: float = 1,
    ) -> None:
        """A closed shape, filled and/or stroked."""
        paint = _paint(fill, stroke)
        if len(points) >= 3 and paint:
            self.raw(_style(fill, stroke, width) + _path(points) + f"h {paint}\n")

    def circle(self, x: float, y: float, r: float, *, fill: Color) -> None:
        """A filled disc (four Bézier arcs)."""
        k = 0.5523 * r
        self.raw(
            f"{_rgb(fill)} rg\n{_num(x + r)} {_num(y)} m "
            f"{_num(x + r)} {_num(y + k)} {_num(x + k)} {_num(y + r)} {_num(x)} {_num(y + r)} c "
            f"{_num(x - k)} {_num(y + r)} {_num(x - r)} {_num(y + k)} {_num(x - r)} {_num(y)} c "
            f"{_num(x - r)} {_num(y - k)} {_num(x - k)} {_num(y - r)} {_num(x)} {_num(y - r)} c "
            f"{_num(x + k)} {_num(y - r)} {_num(x + r)} {_num(y - k)} {_num(x + r)} {_num(y)} c "
            "f\n"
        )

    def link(self, x: float, y: float, w: float, h: float, url: str) -> None:
        """A link annotation over the box opening ``url``."""
        self._links.append(_Link(x, y, w, h, url))

    # --- for Document ---
    def cjk_text(self) -> str:
        return "".join(i.text for i in self._items if isinstance(i, _Text) and not i.text.isascii())

    def content(self, cjk: Callable[[str], str]) -> str:
        return "".join(i if isinstance(i, str) else i.ops(cjk) for i in self._items)


def _paint(fill: Color | None, stroke: Color | None) -> str:
    if fill is not None and stroke is not None:
        return "B"
    return "f" if fill is not None else ("S" if stroke is not None else "")


def _style(fill: Color | None, stroke: Color | None, width: float) -> str:
    out = ""
    if fill is not None:
        out += f"{_rgb(fill)} rg "
    if stroke is not None:
        out += f"{_rgb(stroke)} RG {_num(width)} w 1 j "
    return out + "\n" if out else ""


def _path(points: Sequence[tuple[float, float]]) -> str:
    (x0, y0), rest = points[0], points[1:]
    return f"{x0:.2f} {y0:.2f} m " + " ".join(f"{x:.2f} {y:.2f} l" for x, y in rest) + "\n"


class _Objects:
    """The numbered objects of one PDF; every stream is Flate-compressed."""

    def __init__(self) -> None:
        self._items: list[bytes] = []

    def reserve(self) -> int:
        self._items.append(b"")
        return len(self._items)

    def put(self, num: int, body: str, stream: bytes | None = None) -> None:
        if stream is None:
            data = f"{body}\n".encode("latin-1")
        else:
            packed = zlib.compress(stream)
            head = f"<< {body} /Length {len(packed)} /Filter /FlateDecode >>".replace("<<  ", "<< ")
            data = f"{head}\nstream\n".encode("latin-1") + packed + b"\nendstream\n"
        self._items[num - 1] = f"{num} 0 obj\n".encode() + data + b"endobj\n"

    def add(self, body: str, stream: bytes | None = None) -> int:
        num = self.reserve()
        self.put(num, body, stream)
        return num

    def serialize(self, root: int, info: int | None = None) -> bytes:
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for item in self._items:
            offsets.append(len(out))
            out += item
        xref = len(out)
        out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
        for off in offsets:
            out += f"{off:010d} 00000 n \n".encode()
        extra = f" /Info {info} 0 R" if info is not None else ""
        out += (
            f"trailer\n<< /Size {len(offsets) + 1} /Root {root} 0 R{extra} >>\n"
            f"startxref\n{xref}\n%%EOF\n"
        ).encode()
        return bytes(out)


def _standard_cjk_font(pdf: _Objects) -> int:
    """The fallback: STSong-Light, not embedded (the viewer must have Adobe's Asian fonts)."""
    descriptor = pdf.add(
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        "/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        "/CapHeight 880 /StemV 93 >>"
    )
    cidfont = pdf.add(
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        f"/FontDescriptor {descriptor} 0 R /DW 1000 >>"
    )
    return pdf.add(
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        f"/DescendantFonts [{cidfont} 0 R] >>"
    )


class Document:
    """A PDF of A4 pages: ``page()`` adds one, ``render()`` writes the file."""

    def __init__(self, *, title: str = "") -> None:
        self.title = title
        self.pages: list[Page] = []

    def page(self) -> Page:
        page = Page()
        self.pages.append(page)
        return page

    def render(self) -> bytes:
        if not self.pages:
            self.page()
        pdf = _Objects()
        catalog, pages_ref = pdf.reserve(), pdf.reserve()
        page_refs = [pdf.reserve() for _p in self.pages]
        helvetica = pdf.add(
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
        )
        fonts = f"/F1 {helvetica} 0 R"
        cjk_text = "".join(p.cjk_text() for p in self.pages)
        encode: Callable[[str], str] = _utf16_hex
        if cjk_text:
            embedded = pdffont.embed_font(pdf.add, cjk_text)
            if embedded is not None:
                cjk_font, encode = embedded.ref, embedded.encode
            else:
                cjk_font = _standard_cjk_font(pdf)
            fonts += f" /F2 {cjk_font} 0 R"
        for page, ref in zip(self.pages, page_refs, strict=True):
            contents = pdf.add("", page.content(encode).encode("latin-1"))
            annots = [
                pdf.add(
                    f"<< /Type /Annot /Subtype /Link /Rect [{_num(li.x)} {_num(li.y)} "
                    f"{_num(li.x + li.w)} {_num(li.y + li.h)}] /Border [0 0 0] "
                    f"/A << /S /URI /URI {latin_string(li.url)} >> >>"
                )
                for li in page._links
            ]
            annots_entry = (
                " /Annots [" + " ".join(f"{a} 0 R" for a in annots) + "]" if annots else ""
            )
            pdf.put(
                ref,
                f"<< /Type /Page /Parent {pages_ref} 0 R /MediaBox [0 0 {_num(page.width)} "
                f"{_num(page.height)}] /Resources << /Font << {fonts} >> >> "
                f"/Contents {contents} 0 R{annots_entry} >>",
            )
        pdf.put(catalog, f"<< /Type /Catalog /Pages {pages_ref} 0 R >>")
        kids = " ".join(f"{r} 0 R" for r in page_refs)
        pdf.put(pages_ref, f"<< /Type /Pages /Kids [{kids}] /Count {len(page_refs)} >>")
        info = None
        if self.title:
            info = pdf.add(f"<< /Title {_utf16_hex(chr(0xFEFF) + self.title)} >>")
        return pdf.serialize(catalog, info)
