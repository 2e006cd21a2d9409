"""A certificate as a one-page PDF, written by a small pure-Python PDF writer (no reportlab).

Chinese text uses the PDF standard CJK font STSong-Light (Adobe-GB1, encoding UniGB-UCS2-H),
which PDF viewers provide themselves; no font file is embedded, so the file stays small and no
font licence is needed. Latin text uses Helvetica. The QR code (segno) is drawn as filled
squares and encodes the public verification URL, which is also a link annotation on the QR."""

from __future__ import annotations

import zlib

import segno
from django.utils.translation import gettext as _

from gonghui.core.timeutil import to_local

from .models import Certificate

PAGE_W, PAGE_H = 595, 842  # A4 in points


def _utf16_hex(text: str) -> str:
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def _latin(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return "(" + safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _text(x: float, y: float, size: int, text: str) -> str:
    if text.isascii():
        return f"BT /F1 {size} Tf {x:.1f} {y:.1f} Td {_latin(text)} Tj ET\n"
    return f"BT /F2 {size} Tf {x:.1f} {y:.1f} Td {_utf16_hex(text)} Tj ET\n"


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
    content = "".join(_text(x, y, s, t) for x, y, s, t in lines)
    content += _qr_ops(verify_url, 72, 350, 180)
    stream = zlib.compress(content.encode("latin-1"))
    uri = _latin(verify_url)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
        "/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 7 0 R /Annots [8 0 R] >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        "/DescendantFonts [6 0 R] >>",
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        "/FontDescriptor 9 0 R /DW 1000 >>",
        None,  # the content stream
        f"<< /Type /Annot /Subtype /Link /Rect [72 350 252 530] /Border [0 0 0] "
        f"/A << /S /URI /URI {uri} >> >>",
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        "/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        "/CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        if obj is None:
            out += f"{i} 0 obj\n<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
            out += stream + b"\nendstream\nendobj\n"
        else:
            out += f"{i} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
