"""Read a roster file (.xlsx with python-calamine, .csv with the csv module) into plain rows.

Each data row comes out as ``(row_number, cells)`` where ``row_number`` is the row as the
spreadsheet program shows it (the header is usually row 1) and ``cells`` is a tuple in
``columns.KEYS`` order (``""`` for a column the file does not have). Completely empty rows are
skipped. A file that cannot be read, or whose header lacks a required column, is refused as a
whole (``core.errors.Refused``) before anything is imported.

CSV encodings: a UTF-8 byte-order mark means UTF-8 (Excel's "CSV UTF-8"); otherwise UTF-8 is
tried and, if the bytes are not UTF-8, GB 18030 (a superset of GBK, what Excel writes for
"CSV" on a Chinese Windows). The delimiter is a comma, or a tab / semicolon when the header
row has those and no comma.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from gonghui.core.errors import Refused

from .columns import map_header

ALLOWED_SUFFIXES = (".xlsx", ".csv")
ZIP_MAGIC = b"PK\x03\x04"
MAX_ROWS = 1_000_000

Row = tuple[int, tuple[Any, ...]]


@dataclass
class Roster:
    kind: str  # "xlsx" or "csv"
    rows: list[Row] = field(default_factory=list)
    encoding: str = ""


def _refuse(code: str, message: str) -> Refused:
    return Refused(code=code, message=message, field="file")


def sniff_kind(path: Path, *, name: str | None = None) -> str:
    """ "xlsx" or "csv", from the file name's suffix, checked against the content."""
    suffix = Path(name or path.name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise _refuse("roster_bad_type", _("Only .xlsx and .csv files can be imported."))
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        raise _refuse("roster_empty", _("The file is empty."))
    if suffix == ".xlsx":
        if not head.startswith(ZIP_MAGIC):
            raise _refuse("roster_bad_content", _("This file is not a real .xlsx workbook."))
        return "xlsx"
    if head.startswith(ZIP_MAGIC) or b"\x00" in head.lstrip(b"\xff\xfe\xfe\xff"):
        raise _refuse("roster_bad_content", _("This file is not a text .csv file."))
    return "csv"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shape(rows: Iterable[Sequence[Any]], first_row_number: int = 1) -> list[Row]:
    """Find the header, map it, and project each data row onto the known columns."""
    out: list[Row] = []
    positions: list[int | None] | None = None
    for number, cells in enumerate(rows, start=first_row_number):
        if positions is None:
            if all(_blank(c) for c in cells):
                continue
            positions = map_header(cells)
            continue
        n = len(cells)
        projected = tuple((cells[p] if p < n else "") if p is not None else "" for p in positions)
        if all(_blank(c) for c in projected):
            continue
        out.append((number, projected))
        if len(out) > MAX_ROWS:
            raise _refuse(
                "roster_too_large",
                _("A roster can have at most %(n)s rows; split the file.") % {"n": MAX_ROWS},
            )
    if positions is None:
        raise _refuse("roster_no_header", _("The file has no header row."))
    return out


def _read_xlsx(path: Path) -> Roster:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        # iter_rows() yields rows from the sheet's first row, so row i is spreadsheet row i + 1.
        rows = _shape(sheet.iter_rows(), first_row_number=1)
    except Refused:
        raise
    except Exception:
        raise _refuse(
            "roster_unreadable", _("The workbook could not be read; save it again as .xlsx.")
        ) from None
    return Roster(kind="xlsx", rows=rows)


def decode_csv(raw: bytes) -> tuple[str, str]:
    """Return (text, encoding): UTF-8 with or without BOM, else GB 18030 (covers GBK)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise _refuse(
            "roster_encoding",
            _("The .csv file is neither UTF-8 nor GBK text; save it as CSV UTF-8."),
        ) from None


def _read_csv(path: Path) -> Roster:
    try:
        text, encoding = decode_csv(path.read_bytes())
    except UnicodeDecodeError:
        raise _refuse(
            "roster_encoding",
            _("The .csv file is neither UTF-8 nor GBK text; save it as CSV UTF-8."),
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        if "\t" in first_line:
            delimiter = "\t"
        elif ";" in first_line:
            delimiter = ";"
    try:
        rows = _shape(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise _refuse("roster_unreadable", _("The .csv file could not be read.")) from None
    return Roster(kind="csv", rows=rows, encoding=encoding)


def read_roster(path: Path | str, *, name: str | None = None) -> Roster:
    """Read the whole file; refuse it (nothing imported) when it is not a usable roster."""
    path = Path(path)
    kind = sniff_kind(path, name=name)
    return _read_xlsx(path) if kind == "xlsx" else _read_csv(path)
