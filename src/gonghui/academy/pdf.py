"""A certificate as a one-page PDF, written with the project's PDF writer (``core.pdf``).

Chinese text uses a subset of a real CJK font embedded in the file (``core.pdffont``), with the
standard font STSong-Light as the logged fallback. The QR code (segno) is drawn as filled
squares and encodes the public verification URL, which is also a link annotation on the QR."""

from __future__ import annotations

import segno
from django.utils.translation import gettext as _

from gonghui.core.pdf import BLACK, PAGE_H, PAGE_W, Document, Page
from gonghui.core.timeutil import to_local

from .models import Certificate

__all__ = ["PAGE_H", "PAGE_W", "certificate_pdf"]


def _draw_qr(page: Page, url: str, x0: float, y0: float, size: float) -> None:
    qr = segno.make(url, error="m", micro=False)
    matrix = list(qr.matrix)
    n = len(matrix)
    cell = size / n
    page.rects(
        (
            (x0 + c * cell, y0 + size - (r + 1) * cell, cell, cell)
            for r, row in enumerate(matrix)
            for c, dark in enumerate(row)
            if dark
        ),
        fill=BLACK,
    )


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
    doc = Document()
    page = doc.page()
    for x, y, size, text in lines:
        page.text(x, y, text, size=size)
    _draw_qr(page, verify_url, 72, 350, 180)
    page.link(72, 350, 180, 180, verify_url)
    return doc.render()
