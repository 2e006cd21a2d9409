"""The CJK font embedded in PDFs (``core.pdf``): find it, subset it with fontTools, write its objects.

The font is a real OpenType font file (default: Debian's ``fonts-noto-cjk``, Noto Serif CJK SC),
configured by ``GONGHUI_PDF_FONT``, or by its older name ``GONGHUI_CERTIFICATE_FONT`` when that
one is empty (each a Django setting, else the environment variable of that name): a path to an
``.otf``/``.ttf``, or to a collection ``.ttc``/``.otc`` whose Simplified Chinese face is taken
(``path#N`` picks face ``N``). Without it the first of ``DEFAULT_PATHS`` that exists is used. Supported outlines: CID-keyed CFF (Noto CJK, Source Han) and TrueType.

Each PDF embeds a subset holding only the glyphs of its text, as a ``Type0`` font with the
``Identity-H`` encoding, so a 2-byte code is a CID. The CIDs are chosen to be the characters'
Unicode code points (BMP; characters beyond it get private-use CIDs), which keeps the content
stream readable and the ToUnicode map trivial:

- CFF: the subset's CFF table is re-keyed (charset CID = code point, ROS Adobe-Identity-0) and
  embedded as ``FontFile3`` ``/CIDFontType0C`` under a ``CIDFontType0``;
- TrueType: the subset font is embedded as ``FontFile2`` under a ``CIDFontType2`` whose
  ``/CIDToGIDMap`` stream maps each CID to the subset's glyph.

Both carry a ``/W`` widths array and a ``/ToUnicode`` CMap (copy and search give the text back).
The loaded font (cmap, advances, metrics) is cached per process, and so are the last subsets.
When no font is found or it cannot be used, ``embed_font`` logs a warning and returns ``None``;
the caller then falls back to the non-embedded standard font STSong-Light.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from django.conf import settings

logger = logging.getLogger(__name__)
# fontTools reports every subsetting step at INFO; keep that out of the service log unless the
# deployment configured the "fontTools" logger itself.
if logging.getLogger("fontTools").level == logging.NOTSET:
    logging.getLogger("fontTools").setLevel(logging.WARNING)

SETTING = "GONGHUI_PDF_FONT"
LEGACY_SETTING = "GONGHUI_CERTIFICATE_FONT"  # the name from when only certificates were PDFs

# Where distributions put Noto CJK (Debian/Ubuntu fonts-noto-cjk first; Arch; Fedora).
DEFAULT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-serif-cjk-fonts/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifSC-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSansSC-Regular.otf",
)

AddObject = Callable[[str, bytes | None], int]
"""``add(body, stream) -> object number`` of the PDF being written: ``body`` is the whole object,
or for a stream the entries of its dictionary besides ``/Length`` and ``/Filter`` (added)."""

_TTF_DROP = frozenset(
    [
        "GSUB",
        "GPOS",
        "GDEF",
        "BASE",
        "JSTF",
        "MATH",
        "kern",
        "vhea",
        "vmtx",
        "VORG",
        "DSIG",
        "hdmx",
        "LTSH",
        "VDMX",
        "fvar",
        "gvar",
        "avar",
        "cvar",
        "HVAR",
        "VVAR",
        "MVAR",
        "STAT",
    ]
)
_PUA_FIRST = 0xE000  # CIDs for characters beyond the BMP (a 2-byte code cannot hold them)
_SIMPLIFIED = re.compile(r"\bSC\b|Simplified|\bGB\b|\bCN\b", re.IGNORECASE)


class FontUnusable(Exception):
    """The configured font file cannot be embedded (unreadable, CFF2, name-keyed CFF, …)."""


@dataclass(frozen=True, eq=False)  # hashed by identity: one object per loaded face
class Face:
    """What a PDF needs of one font face, loaded once per process."""

    path: str
    index: int  # the face in a collection, -1 for a single font file
    ps_name: str
    outline: Literal["cff", "ttf"]
    units_per_em: int
    cmap: Mapping[int, str]  # code point → glyph name
    advances: Mapping[str, int]  # glyph name → advance width (font units)
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int

    def scaled(self, v: float) -> int:
        return round(v * 1000 / self.units_per_em)


@dataclass(frozen=True)
class Subset:
    cids: Mapping[str, int]  # character → CID
    program: bytes  # the bare CFF table (cff) or the whole subset font (ttf)
    cid_to_gid: Mapping[int, int]  # ttf only
    widths: Mapping[int, int]  # CID → width in 1/1000 em
    tag: str  # the six-letter subset prefix of the font name


@dataclass(frozen=True)
class EmbeddedFont:
    ref: int  # object number of the Type0 font
    encode: Callable[[str], str]  # text → the hex string operand of Tj
    name: str  # the BaseFont, e.g. ABCDEF+NotoSerifCJKsc-Regular


# --- finding and loading ---------------------------------------------------------------------
def configured_setting() -> tuple[str, str]:
    """(name, value) of the font setting in force: ``GONGHUI_PDF_FONT``, else the older
    ``GONGHUI_CERTIFICATE_FONT``; each the Django setting, else the environment variable."""
    for name in (SETTING, LEGACY_SETTING):
        value = getattr(settings, name, None)
        if value is None:
            value = os.environ.get(name, "")
        if str(value).strip():
            return name, str(value).strip()
    return SETTING, ""


def configured_font() -> str:
    return configured_setting()[1]


def _split_index(value: str) -> tuple[str, int | None]:
    path, sep, num = value.rpartition("#")
    if sep and num.isdigit():
        return path, int(num)
    return value, None


def font_location() -> tuple[str, int | None] | None:
    """The font file to use and the face asked for, or None (with a warning) if there is none."""
    name, value = configured_setting()
    if value:
        path, index = _split_index(value)
        if os.path.isfile(path):
            return path, index
        logger.warning(
            "%s=%s: no such font file; PDFs use the non-embedded font STSong-Light",
            name,
            value,
        )
        return None
    for path in DEFAULT_PATHS:
        if os.path.isfile(path):
            return path, None
    logger.warning(
        "No CJK font found (set %s or %s, or install fonts-noto-cjk); PDFs use the "
        "non-embedded font STSong-Light, which some PDF viewers cannot show",
        SETTING,
        LEGACY_SETTING,
    )
    return None


def _face_names(font: Any) -> str:
    name = font["name"]
    return " ".join(str(name.getDebugName(i) or "") for i in (1, 4, 6))


@lru_cache(maxsize=4)
def _load_face(path: str, index: int | None, mtime_ns: int) -> Face:
    from fontTools.ttLib import TTCollection, TTFont

    with open(path, "rb") as fh:
        is_collection = fh.read(4) == b"ttcf"
    if is_collection:
        if index is None:
            faces = TTCollection(path, lazy=True).fonts
            index = next((i for i, f in enumerate(faces) if _SIMPLIFIED.search(_face_names(f))), 0)
        font = TTFont(path, fontNumber=index, lazy=True)
    else:
        index = -1
        font = TTFont(path, lazy=True)
    if "CFF " in font:
        cff = font["CFF "].cff
        if not hasattr(cff[cff.fontNames[0]], "ROS"):
            raise FontUnusable("name-keyed CFF (only CID-keyed CFF or TrueType is embedded)")
        outline: Literal["cff", "ttf"] = "cff"
    elif "glyf" in font:
        outline = "ttf"
    else:
        raise FontUnusable("no CFF or glyf outlines (CFF2 variable fonts are not supported)")
    head, hhea = font["head"], font["hhea"]
    os2 = font.get("OS/2")
    ascent = os2.sTypoAscender if os2 is not None else hhea.ascent
    descent = os2.sTypoDescender if os2 is not None else hhea.descent
    cap = getattr(os2, "sCapHeight", 0) or ascent
    names = font["name"]
    ps_name = names.getDebugName(6) or f"{names.getDebugName(1)}-{names.getDebugName(2)}"
    ps_name = re.sub(r"[^A-Za-z0-9_-]", "", ps_name).strip("-") or "CJKFont"
    face = Face(
        path=path,
        index=index,
        ps_name=ps_name[:50],
        outline=outline,
        units_per_em=head.unitsPerEm,
        cmap=dict(font.getBestCmap() or {}),
        advances={g: adv for g, (adv, _lsb) in font["hmtx"].metrics.items()},
        bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
        ascent=ascent,
        descent=descent,
        cap_height=cap,
    )
    font.close()
    return face


def load_face() -> Face | None:
    """The configured (or found) face, cached per process; None after a logged warning."""
    location = font_location()
    if location is None:
        return None
    path, index = location
    try:
        return _load_face(path, index, os.stat(path).st_mtime_ns)
    except Exception as exc:  # any broken/unsupported font file: fall back, never crash
        logger.warning(
            "PDF font %s cannot be used (%s); PDFs use the non-embedded font STSong-Light",
            path,
            exc,
        )
        return None


def clear_caches() -> None:
    _load_face.cache_clear()
    _subset.cache_clear()


# --- subsetting ------------------------------------------------------------------------------
def _assign_cids(chars: frozenset[str]) -> dict[str, int]:
    cids = {c: ord(c) for c in chars if ord(c) <= 0xFFFF}
    used = set(cids.values())
    nxt = _PUA_FIRST
    for c in sorted(ch for ch in chars if ord(ch) > 0xFFFF):
        while nxt in used:
            nxt += 1
        cids[c] = nxt
        used.add(nxt)
    return cids


def _subset_font(face: Face, glyphs: list[str]) -> Any:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    if face.index >= 0:
        font = TTFont(face.path, fontNumber=face.index, lazy=True)
    else:
        font = TTFont(face.path, lazy=True)
    # The PDF carries widths, metrics and the character map itself: dropping the tables it does
    # not need before subsetting keeps fontTools from parsing them (GSUB of a CJK font is large).
    # A CFF subset needs only its CFF table; a TrueType one keeps post and cmap, which name the
    # glyphs as the cached cmap does.
    for tag in list(font.keys()):
        if tag == "GlyphOrder":
            continue
        if (tag != "CFF ") if face.outline == "cff" else (tag in _TTF_DROP):
            del font[tag]
    options = subset.Options()
    options.layout_features = []
    options.notdef_outline = True
    options.name_IDs = []
    options.hinting = False
    options.desubroutinize = True
    options.glyph_names = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=glyphs)
    subsetter.subset(font)
    return font


@lru_cache(maxsize=32)
def _subset(face: Face, chars: frozenset[str]) -> Subset:
    cids = _assign_cids(chars)
    by_glyph: dict[str, int] = {}  # glyph → its CID (a glyph has one CID in a CID-keyed font)
    for c in sorted(cids):
        g = face.cmap.get(ord(c))
        if g is None:
            continue  # not in the font: its CID has no glyph, viewers draw .notdef
        if g in by_glyph:
            cids[c] = by_glyph[g]  # e.g. a compatibility ideograph drawn like its unified twin
        else:
            by_glyph[g] = cids[c]
    font = _subset_font(face, sorted(by_glyph))
    widths = {cid: face.scaled(face.advances.get(g, 0)) for g, cid in by_glyph.items()}
    tag = "".join(
        chr(ord("A") + b % 26)
        for b in hashlib.sha256(repr(sorted(cids.values())).encode()).digest()[:6]
    )
    cid_to_gid: dict[int, int] = {}
    if face.outline == "cff":
        cff = font["CFF "].cff
        top = cff[cff.fontNames[0]]
        order = list(top.charset)
        # re-key the charset: glyph g now has the CID chosen for its character (GID 0 stays
        # .notdef); a glyph pulled in only as a dependency keeps a CID no character uses.
        used = set(by_glyph.values())
        spare = (cid for cid in range(0xF8FF, 0, -1) if cid not in used)
        renamed = [
            g if gid == 0 else f"cid{by_glyph[g] if g in by_glyph else next(spare):05d}"
            for gid, g in enumerate(order)
        ]
        charstrings = top.CharStrings
        charstrings.charStrings = {
            new: charstrings.charStrings[old] for old, new in zip(order, renamed, strict=True)
        }
        top.charset = renamed
        top.ROS = ("Adobe", "Identity", 0)
        top.CIDCount = 65536
        cff.fontNames = [f"{tag}+{face.ps_name}"]
        buf = io.BytesIO()
        cff.compile(buf, font)
        program = buf.getvalue()
    else:
        gids = {g: i for i, g in enumerate(font.getGlyphOrder())}
        cid_to_gid = {cid: gids[g] for g, cid in by_glyph.items() if g in gids}
        buf = io.BytesIO()
        font.save(buf)
        program = buf.getvalue()
    font.close()
    return Subset(cids=cids, program=program, cid_to_gid=cid_to_gid, widths=widths, tag=tag)


# --- PDF objects -----------------------------------------------------------------------------
def _widths_array(widths: Mapping[int, int]) -> str:
    parts: list[str] = []
    run_start, run = -2, list[str]()  # consecutive CIDs share one "c [w1 w2 …]" entry
    for cid in sorted(widths):
        if cid != run_start + len(run):
            if run:
                parts.append(f"{run_start} [{' '.join(run)}]")
            run_start, run = cid, []
        run.append(str(widths[cid]))
    if run:
        parts.append(f"{run_start} [{' '.join(run)}]")
    return "[" + " ".join(parts) + "]"


def _to_unicode(cids: Mapping[str, int]) -> bytes:
    first: dict[int, str] = {}
    for c in sorted(cids):
        first.setdefault(cids[c], c)
    pairs = sorted(first.items())
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for i in range(0, len(pairs), 100):
        chunk = pairs[i : i + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{cid:04X}> <{c.encode('utf-16-be').hex().upper()}>" for cid, c in chunk]
        lines.append("endbfchar")
    lines += [
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def _objects(add: AddObject, face: Face, sub: Subset) -> EmbeddedFont:
    name = f"{sub.tag}+{face.ps_name}"
    bbox = " ".join(str(face.scaled(v)) for v in face.bbox)
    if face.outline == "cff":
        file_ref = add("/Subtype /CIDFontType0C", sub.program)
        file_key, subtype, extra = "FontFile3", "CIDFontType0", ""
    else:
        file_ref = add(f"/Length1 {len(sub.program)}", sub.program)
        top = max(sub.cid_to_gid, default=0)
        table = bytearray(2 * (top + 1))
        for cid, gid in sub.cid_to_gid.items():
            table[2 * cid : 2 * cid + 2] = gid.to_bytes(2, "big")
        map_ref = add("", bytes(table))
        file_key, subtype, extra = "FontFile2", "CIDFontType2", f" /CIDToGIDMap {map_ref} 0 R"
    descriptor = add(
        f"<< /Type /FontDescriptor /FontName /{name} /Flags 4 /FontBBox [{bbox}] "
        f"/ItalicAngle 0 /Ascent {face.scaled(face.ascent)} /Descent {face.scaled(face.descent)} "
        f"/CapHeight {face.scaled(face.cap_height)} /StemV 80 /{file_key} {file_ref} 0 R >>",
        None,
    )
    cidfont = add(
        f"<< /Type /Font /Subtype /{subtype} /BaseFont /{name} "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"/FontDescriptor {descriptor} 0 R /DW 1000 /W {_widths_array(sub.widths)}{extra} >>",
        None,
    )
    to_unicode = add("", _to_unicode(sub.cids))
    ref = add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
        f"/DescendantFonts [{cidfont} 0 R] /ToUnicode {to_unicode} 0 R >>",
        None,
    )
    cids = dict(sub.cids)

    def encode(text: str) -> str:
        return "<" + "".join(f"{cids.get(c, 0):04X}" for c in text) + ">"

    return EmbeddedFont(ref=ref, encode=encode, name=name)


def embed_font(add: AddObject, text: str) -> EmbeddedFont | None:
    """Add a subset of the PDF font covering ``text`` to the PDF, or return None (after
    a logged warning) when there is no usable font; nothing is added then."""
    face = load_face()
    if face is None:
        return None
    chars = frozenset(text)
    try:
        sub = _subset(face, chars)
    except Exception as exc:  # a font fontTools cannot subset: fall back, never crash
        logger.warning(
            "Subsetting the PDF font %s failed (%s); this PDF uses the non-embedded font "
            "STSong-Light",
            face.path,
            exc,
        )
        return None
    return _objects(add, face, sub)
