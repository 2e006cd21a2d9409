"""core.xlsx: the one .xlsx writer. Text stays text (never a formula or a link), leading
formula characters are neutralised, and no module under src/ writes a workbook without it."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest

from gonghui.core import xlsx

PAYLOAD = '=HYPERLINK("http://x","y")'
SRC = Path(__file__).resolve().parents[2] / "src" / "gonghui"


def read_back(data: bytes) -> list[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_payload_is_text(data: bytes, payload: str = PAYLOAD) -> None:
    """The payload is in the workbook, as a string cell, and nowhere as a formula."""
    cells = read_back(data)
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula was written"
    assert not [c.coordinate for c in cells if c.hyperlink is not None], "a link was written"
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'" + payload in texts, texts
    assert all(not t.startswith(xlsx.DANGEROUS_LEADS) for t in texts)


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("张三", "张三"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(given, written):
    assert xlsx.neutralise(given) == written


def test_every_way_of_writing_text_writes_text():
    buf = io.BytesIO()
    book = xlsx.workbook(buf)
    sheet = book.add_worksheet("s")
    sheet.write(0, 0, PAYLOAD)
    sheet.write_string(1, 0, PAYLOAD)
    sheet.write_row(2, 0, [PAYLOAD, "http://example.com", "12", 7, None])
    sheet.write_column(3, 0, [PAYLOAD])
    sheet.write("A5", "{=SUM(A1)}")
    sheet.write(5, 0, dt.date(2026, 1, 2))
    with pytest.raises(TypeError):
        sheet.write_formula(6, 0, "=1+1")
    with pytest.raises(TypeError):
        sheet.write_url(6, 0, "http://x")
    with pytest.raises(TypeError):
        sheet.write_array_formula(6, 0, 6, 0, "{=1}")
    book.close()
    assert_payload_is_text(buf.getvalue())
    cells = {c.coordinate: c for c in read_back(buf.getvalue())}
    assert cells["B3"].value == "http://example.com" and cells["B3"].hyperlink is None
    assert cells["C3"].value == "12" and cells["D3"].value == 7
    assert cells["A5"].value == "{=SUM(A1)}" and cells["A5"].data_type == "s"


def test_constant_memory_mode_too(tmp_path):
    path = tmp_path / "big.xlsx"
    book = xlsx.workbook(str(path), constant_memory=True)
    sheet = book.add_worksheet("s")
    for row in range(3):
        sheet.write_row(row, 0, [PAYLOAD, f"-{row}"])
    book.close()
    assert_payload_is_text(path.read_bytes())


WRITER = re.compile(r"^\s*(import|from)\s+(xlsxwriter|openpyxl)\b", re.MULTILINE)


def test_no_module_writes_xlsx_without_the_helper():
    """Any import of an .xlsx writing library outside core/xlsx.py is an export that bypasses
    the neutralisation: use ``gonghui.core.xlsx.workbook``."""
    offenders = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if path != SRC / "core" / "xlsx.py" and WRITER.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
