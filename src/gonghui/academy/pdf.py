"""A certificate as a one-page PDF, written by a small pure-Python PDF writer (no reportlab).

Chinese text uses a subset of a real CJK font embedded in the file (``pdffont``: Noto Serif
CJK SC by default, ``GONGHUI_CERTIFICATE_FONT`` to choose another), so every viewer shows the
same glyphs. Without a usable font file it falls back, with a logged warning, to the PDF
standard CJK font STSong-Light (Adobe-GB1, encoding UniGB-UCS2-H), which the viewer must supply.
Latin-only lines use Helvetica. The QR code (segno) is drawn as filled squares and encodes the
public verification URL, which is also a link annotation on the QR."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import segno
from django.utils.translation import gettext as _

from gonghui.core.timeutil import to_local

from . import pdffont
from .models import Certificate

PAGE_W, PAGE_H = 595, 842  # A4 in points


def _utf16_hex(text: str) -> str:
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def _latin(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return "(" + safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _text(x: float, y: float, size: int, text: str, cjk: Callable[[str], str]) -> str:
    if text.isascii():
        return f"BT /F1 {size} Tf {x:.1f} {y:.1f} Td {_latin(text)} Tj ET\n"
    return f"BT /F2 {size} Tf {x:.1f} {y:.1f} Td {cjk(text)} Tj ET\n"


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

    def serialize(self, root: int) -> bytes:
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for item in self._items:
            offsets.append(len(out))
            out += item
        xref = len(out)
        out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
        for off in offsets:
            out += f"{off:010d} 00000 n \n".encode()
        out += (
            f"trailer\n<< /Size {len(offsets) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
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


def _qr_ops(url: str, x0: float, y0: float, size: float) -> str:
    qr = segno.make(url, error="m", micro=False)
    matrix = list(qr.matrix)
    n = len(matrix)
    cell = size / n
    ops = ["0 0 0 rg\n"]
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                ops.append(
                    f"{x0 + c * cell:.2f} {y0 + size - (r + 1) * cell:.2f} "
                    f"{cell:.2f} {cell:.2f} re\n"
                )
    ops.append("f\n")
    return "".join(ops)


def certificate_pdf(cert: Certificate, verify_url: str) -> bytes:
    """One A4 page: heading, holder, title, level, number, date, and the QR of ``verify_url``."""
    lines = [
        (
            72,
            740,
            28,
            str(_("Certificate of completion"))
            if cert.course_id
            else str(_("Skill level certificate")),
        ),
        (72, 690, 16, str(_("Holder")) + ": " + cert.holder_name),
        (
            72,
            660,
            16,
            str(_("Course")) + ": " + cert.title
            if cert.course_id
            else str(_("Title")) + ": " + cert.title,
        ),
    ]
    if cert.skill_level:
        lines.append(
            (72, 630, 16, str(_("Skill level")) + ": " + str(cert.get_skill_level_display()))
        )
    lines += [
        (72, 600, 12, str(_("Certificate number")) + ": " + cert.number),
        (72, 580, 12, str(_("Issued at")) + ": " + to_local(cert.issued_at).strftime("%Y-%m-%d")),
        (72, 560, 12, str(_("Issued by")) + ": " + cert.org.name),
        (72, 330, 10, str(_("Scan the code to verify this certificate."))),
        (72, 316, 8, verify_url),
    ]
    pdf = _Objects()
    catalog, pages, page = pdf.reserve(), pdf.reserve(), pdf.reserve()
    helvetica = pdf.add(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    cjk_text = "".join(t for _x, _y, _s, t in lines if not t.isascii())
    embedded = pdffont.embed_font(pdf.add, cjk_text)
    if embedded is not None:
        cjk_font, encode = embedded.ref, embedded.encode
    else:
        cjk_font, encode = _standard_cjk_font(pdf), _utf16_hex
    content = "".join(_text(x, y, s, t, encode) for x, y, s, t in lines)
    content += _qr_ops(verify_url, 72, 350, 180)
    contents = pdf.add("", content.encode("latin-1"))
    link = pdf.add(
        "<< /Type /Annot /Subtype /Link /Rect [72 350 252 530] /Border [0 0 0] "
        f"/A << /S /URI /URI {_latin(verify_url)} >> >>"
    )
    pdf.put(catalog, f"<< /Type /Catalog /Pages {pages} 0 R >>")
    pdf.put(pages, f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>")
    pdf.put(
        page,
        f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
        f"/Resources << /Font << /F1 {helvetica} 0 R /F2 {cjk_font} 0 R >> >> "
        f"/Contents {contents} 0 R /Annots [{link} 0 R] >>",
    )
    return pdf.serialize(catalog)
