"""Certificate PDFs embed a subset of a real CJK font (and fall back to STSong-Light without one).

The PDF is parsed through its xref here; text comes back through the ToUnicode CMap (parsed
here) and through poppler's pdftotext; pdftoppm renders the page to check that the holder's
name is drawn with real glyphs."""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from fontTools.cffLib import CFFFontSet
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

from gonghui.academy import pdf, pdffont, services
from tests.factories import make_member, org_child, org_root

pytestmark = pytest.mark.django_db

URL = "https://gh.example/verify/certificate/{number}/{signature}/"
HAVE_FONT = any(Path(p).is_file() for p in pdffont.DEFAULT_PATHS)
needs_font = pytest.mark.skipif(
    not HAVE_FONT, reason="no CJK font file (CI installs it: apt-get install fonts-noto-cjk)"
)


@pytest.fixture
def union():
    return org_child(org_root(), name="玉环市机械工会")


@pytest.fixture
def default_font(settings):
    settings.GONGHUI_CERTIFICATE_FONT = ""  # the default search paths, whatever the environment
    return settings


def _cert(union, name="李四海", title="数控车工"):
    member = make_member(union, name=name)
    return services.certificate_issue(member=member, org=union, title=title, skill_level="senior")


def _pdf(cert) -> bytes:
    return pdf.certificate_pdf(cert, URL.format(number=cert.number, signature=cert.signature))


# --- a minimal PDF reader (through the xref, as a viewer does) ---------------------------------
def objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number → (dictionary, decompressed stream or None)."""
    xref = int(re.search(rb"startxref\n(\d+)\n%%EOF", data).group(1))
    assert data[xref : xref + 5] == b"xref\n"
    count = int(re.match(rb"xref\n0 (\d+)\n", data[xref:]).group(1))
    table = data[xref:].split(b"\n")[2 : 2 + count]
    out = {}
    for num, row in enumerate(table[1:], start=1):
        off = int(row[:10])
        m = re.match(rb"(\d+) 0 obj\n", data[off:])
        assert m is not None and int(m.group(1)) == num, f"xref entry {num} is wrong"
        body_start = off + m.end()
        length = re.match(rb"<<[^\n]*?/Length (\d+)", data[body_start:])
        if length is None:
            end = data.index(b"\nendobj\n", body_start)
            out[num] = (data[body_start:end], None)
            continue
        head_end = data.index(b"\nstream\n", body_start)
        start = head_end + len(b"\nstream\n")
        raw = data[start : start + int(length.group(1))]
        assert data[start + len(raw) :].startswith(b"\nendstream\nendobj\n")
        head = data[body_start:head_end]
        out[num] = (head, zlib.decompress(raw) if b"/FlateDecode" in head else raw)
    return out


def ref(head: bytes, key: bytes) -> int:
    m = re.search(rb"/" + key + rb" (\d+) 0 R", head)
    assert m is not None, f"/{key.decode()} missing in {head!r}"
    return int(m.group(1))


def cjk_font(objs) -> tuple[bytes, bytes, bytes]:
    """(Type0 font, its CIDFont, its FontDescriptor) used as /F2 on the page."""
    page = next(h for h, _s in objs.values() if b"/Type /Page " in h)
    f2 = objs[ref(page, b"F2")][0]
    cid = objs[int(re.search(rb"/DescendantFonts \[(\d+) 0 R\]", f2).group(1))][0]
    return f2, cid, objs[ref(cid, b"FontDescriptor")][0]


def to_unicode_map(cmap: bytes) -> dict[int, str]:
    out = {}
    for block in re.findall(rb"beginbfchar\n(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(rb"<([0-9A-F]+)> <([0-9A-F]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    return out


def shown_lines(objs) -> list[str]:
    """The lines drawn in /F2, decoded through the font's ToUnicode CMap."""
    f2, _cid, _desc = cjk_font(objs)
    cmap = to_unicode_map(objs[ref(f2, b"ToUnicode")][1])
    page = next(h for h, _s in objs.values() if b"/Type /Page " in h)
    content = objs[ref(page, b"Contents")][1].decode("latin-1")
    lines = []
    for hexstr in re.findall(r"/F2 \d+ Tf [\d.]+ [\d.]+ Td <([0-9A-F]*)> Tj", content):
        codes = [int(hexstr[i : i + 4], 16) for i in range(0, len(hexstr), 4)]
        lines.append("".join(cmap[c] for c in codes))
    return lines


# --- the embedded font -------------------------------------------------------------------------
@needs_font
def test_pdf_embeds_a_cid_keyed_subset_of_the_cjk_font(union, default_font):
    cert = _cert(union, name="欧阳明华")
    data = _pdf(cert)
    assert b"STSong-Light" not in data and b"UniGB-UCS2-H" not in data
    assert len(data) < 60_000, len(data)  # a subset, not the 26 MB collection
    objs = objects(data)
    f2, cid, desc = cjk_font(objs)
    assert b"/Subtype /Type0" in f2 and b"/Encoding /Identity-H" in f2
    name = re.search(rb"/BaseFont /([A-Z]{6})\+([\w-]+)", f2)
    assert name is not None  # a subset tag, as the PDF spec asks for embedded subsets
    assert b"/Subtype /CIDFontType0 " in cid and b"/Ordering (Identity)" in cid
    assert f"/FontName /{name.group(1).decode()}+".encode() in desc
    fontfile_head, program = objs[ref(desc, b"FontFile3")]
    assert b"/Subtype /CIDFontType0C" in fontfile_head

    # the CFF is CID-keyed and holds a glyph (CID = code point) for each character shown
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(program), None)
    top = cff[cff.fontNames[0]]
    assert top.ROS == ("Adobe", "Identity", 0)
    cids = {int(g[3:]) for g in top.charset if g.startswith("cid")}
    shown = {c for line in shown_lines(objs) for c in line}
    assert {ord(c) for c in "欧阳明华数控车工玉环市机械工会"} <= cids
    assert {ord(c) for c in shown} <= cids
    assert 20 < len(top.charset) < 120  # only the glyphs used (plus .notdef)

    # and the glyph under each CID is the font's glyph for that character
    face = pdffont.load_face()
    original = TTFont(face.path, fontNumber=max(face.index, 0), lazy=True)
    cmap, glyphs = original.getBestCmap(), original.getGlyphSet()
    for ch in "欧阳明华工:":
        ours = top.CharStrings[f"cid{ord(ch):05d}"]
        theirs = glyphs[cmap[ord(ch)]]
        a, b = BoundsPen(None), BoundsPen(glyphs)
        ours.draw(a)
        theirs.draw(b)
        assert a.bounds == b.bounds, ch

    # widths: /W gives every shown CID its advance (ideographs a full em, Latin narrower)
    widths = {}
    w = re.search(rb"/W \[(.*)\] >>", cid).group(1).decode()
    for start, run in re.findall(r"(\d+) \[([\d ]+)\]", w):
        for i, v in enumerate(run.split()):
            widths[int(start) + i] = int(v)
    assert {ord(c) for c in shown} <= set(widths)
    assert widths[ord("欧")] == 1000 and 200 < widths[ord(":")] < 600


@needs_font
def test_to_unicode_gives_the_text_back(union, default_font):
    cert = _cert(union, name="王小明", title="电工")
    lines = shown_lines(objects(_pdf(cert)))
    assert any(line.endswith(": 王小明") for line in lines), lines
    assert any(line.endswith(": 电工") for line in lines), lines
    assert any(line.endswith(": 玉环市机械工会") for line in lines), lines


@needs_font
def test_characters_beyond_the_bmp_and_shared_glyphs(union, default_font):
    # 𠇔 (U+201D4) cannot be a 2-byte code point: it gets a private-use CID, and comes back
    cert = _cert(union, name="李𠇔")
    objs = objects(_pdf(cert))
    assert any(line.endswith(": 李𠇔") for line in shown_lines(objs))


@needs_font
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext missing (poppler-utils)")
def test_pdftotext_extracts_the_chinese(union, default_font, tmp_path):
    cert = _cert(union, name="欧阳明华", title="数控车工")
    path = tmp_path / "c.pdf"
    path.write_bytes(_pdf(cert))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    assert "欧阳明华" in text and "数控车工" in text and "玉环市机械工会" in text
    assert cert.number in text


DPI = 144


def render_gray(data: bytes, tmp_path: Path) -> tuple[int, int, bytes]:
    src = tmp_path / "r.pdf"
    src.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-gray", "-singlefile", str(src), str(tmp_path / "r")],
        check=True,
        capture_output=True,
    )
    raw = (tmp_path / "r.pgm").read_bytes()
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", raw)
    assert m is not None
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, raw[m.end() : m.end() + w * h]


def box_rows(img, box) -> list[bytes]:
    """The pixel rows of a box given in PDF points (origin bottom left)."""
    w, h, px = img
    x0, y0, x1, y1 = (round(v * DPI / 72) for v in box)
    return [px[y * w + x0 : y * w + x1] for y in range(h - y1, h - y0)]


def ink(img, box) -> int:
    return sum(1 for row in box_rows(img, box) for v in row if v < 160)


@needs_font
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm missing (poppler-utils)")
def test_page_renders_the_name_with_real_glyphs(union, default_font, tmp_path):
    a = render_gray(_pdf(_cert(union, name="欧阳明华")), tmp_path)
    b = render_gray(_pdf(_cert(union, name="张三丰")), tmp_path)
    assert b"/FontFile3" in _pdf(_cert(union, name="欧阳明华"))  # the embedded font is drawn
    # the holder line: 16 pt at baseline y=690 from x=72; the name follows "持证人: "
    name = (128, 684, 200, 706)
    assert ink(a, name) > 600 and ink(b, name) > 300, (ink(a, name), ink(b, name))
    # different names draw differently (missing glyphs would all be the same .notdef box)
    assert box_rows(a, name) != box_rows(b, name)
    # and a blank area stays blank
    assert ink(a, (300, 100, 500, 250)) == 0


# --- the TrueType route ------------------------------------------------------------------------
def truetype_font(path: Path, chars: str) -> Path:
    """A small glyf font whose glyph for each of ``chars`` is a filled square."""

    def square(size):
        pen = TTGlyphPen(None)
        pen.moveTo((100, 0))
        pen.lineTo((100, size))
        pen.lineTo((size, size))
        pen.lineTo((size, 0))
        pen.closePath()
        return pen.glyph()

    names = [".notdef"] + [f"uni{ord(c):04X}" for c in chars]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in chars})
    fb.setupGlyf({n: square(300 if n == ".notdef" else 900) for n in names})
    fb.setupHorizontalMetrics({n: (1000, 100) for n in names})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "Test Squares", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    fb.save(str(path))
    return path


def test_a_truetype_font_is_embedded_as_cidfonttype2(union, settings, tmp_path):
    font = truetype_font(tmp_path / "squares.ttf", "持证人李四海数控车工")
    settings.GONGHUI_CERTIFICATE_FONT = str(font)
    data = _pdf(_cert(union))
    assert b"STSong-Light" not in data
    objs = objects(data)
    f2, cid, desc = cjk_font(objs)
    assert b"/Encoding /Identity-H" in f2 and b"+TestSquares-Regular" in f2
    assert b"/Subtype /CIDFontType2 " in cid
    head, program = objs[ref(desc, b"FontFile2")]
    assert f"/Length1 {len(program)}".encode() in head and program[:4] == b"\x00\x01\x00\x00"
    cid_to_gid = objs[ref(cid, b"CIDToGIDMap")][1]

    def gid(ch):
        return int.from_bytes(cid_to_gid[2 * ord(ch) : 2 * ord(ch) + 2], "big")

    sub = TTFont(io.BytesIO(program))
    order = sub.getGlyphOrder()
    assert {order[gid(c)] for c in "李四海"} == {"uni674E", "uni56DB", "uni6D77"}
    assert len(order) < 20  # only the glyphs used
    assert any(line.endswith(": 李四海") for line in shown_lines(objs))


# --- no usable font: STSong-Light as before, a warning, never a crash ---------------------------
def assert_standard_font(data: bytes) -> None:
    assert b"/BaseFont /STSong-Light /Encoding /UniGB-UCS2-H" in data
    assert b"FontFile" not in data and b"Identity-H" not in data
    objs = objects(data)
    page = next(h for h, _s in objs.values() if b"/Type /Page " in h)
    content = objs[ref(page, b"Contents")][1]
    assert "李四海".encode("utf-16-be").hex().upper().encode() in content


def test_fallback_when_the_configured_font_file_is_absent(union, settings, caplog):
    settings.GONGHUI_CERTIFICATE_FONT = "/nonexistent/NotoSerifCJK-Regular.ttc"
    with caplog.at_level(logging.WARNING, logger="gonghui.academy.pdffont"):
        data = _pdf(_cert(union))
    assert_standard_font(data)
    assert "/nonexistent/NotoSerifCJK-Regular.ttc" in caplog.text and "STSong-Light" in caplog.text


def test_fallback_when_no_font_is_found(union, settings, monkeypatch, caplog):
    settings.GONGHUI_CERTIFICATE_FONT = ""
    monkeypatch.setattr(pdffont, "DEFAULT_PATHS", ("/nonexistent/a.ttc", "/nonexistent/b.otf"))
    with caplog.at_level(logging.WARNING, logger="gonghui.academy.pdffont"):
        data = _pdf(_cert(union))
    assert_standard_font(data)
    assert "No CJK font found" in caplog.text and "GONGHUI_CERTIFICATE_FONT" in caplog.text


def test_fallback_when_the_file_is_not_a_usable_font(union, settings, tmp_path, caplog):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"\x00\x01\x00\x00" + b"not a font" * 20)
    settings.GONGHUI_CERTIFICATE_FONT = str(broken)
    with caplog.at_level(logging.WARNING, logger="gonghui.academy.pdffont"):
        data = _pdf(_cert(union))
    assert_standard_font(data)
    assert "broken.ttf cannot be used" in caplog.text


def test_the_environment_variable_is_read_without_a_django_setting(
    union, settings, monkeypatch, caplog
):
    if hasattr(settings, "GONGHUI_CERTIFICATE_FONT"):
        del settings.GONGHUI_CERTIFICATE_FONT
    monkeypatch.setenv("GONGHUI_CERTIFICATE_FONT", "/nonexistent/from-env.otf")
    with caplog.at_level(logging.WARNING, logger="gonghui.academy.pdffont"):
        assert_standard_font(_pdf(_cert(union)))
    assert "/nonexistent/from-env.otf" in caplog.text


# --- choosing the face of a collection ---------------------------------------------------------
@needs_font
def test_simplified_chinese_face_is_chosen_from_a_collection(settings):
    path = next(p for p in pdffont.DEFAULT_PATHS if Path(p).is_file())
    settings.GONGHUI_CERTIFICATE_FONT = path
    face = pdffont.load_face()
    if face is None or face.index < 0:
        pytest.skip(f"{path} is not a collection")
    assert face.ps_name.lower().endswith("sc-regular") or "sc" in face.ps_name.lower()
    settings.GONGHUI_CERTIFICATE_FONT = f"{path}#0"
    first = pdffont.load_face()
    assert first is not None and first.index == 0 and first.ps_name != face.ps_name
