"""The one way to write an .xlsx file: text stays text, never a formula or a link.

Every export (member roster, import error report, settlement statement, attendee list, premium
invoice, the console lists' export action in ``orgs.console_export``, …) builds its workbook
with :func:`workbook`. Its worksheets

- write every ``str`` as a string cell: xlsxwriter's ``strings_to_formulas``,
  ``strings_to_urls`` and ``strings_to_numbers`` are off, and ``write``/``write_row``/
  ``write_string`` all end in the same string writer;
- neutralise text that a spreadsheet would run or reinterpret when a person edits the cell or
  saves the sheet as CSV: a value starting with ``= + - @``, a tab or a carriage return gets a
  leading apostrophe (``'=HYPERLINK(…)`` is shown as typed, never as a live link) — the
  OWASP "CSV injection" rule;
- refuse ``write_formula``, ``write_array_formula``, ``write_dynamic_array_formula`` and
  ``write_url``: an export writes data, not formulas.

``tests/core/test_xlsx.py`` fails when a module under ``src/`` writes a workbook any other way
(an ``xlsxwriter`` or ``openpyxl`` import outside this module).
"""

from __future__ import annotations

from typing import Any, NoReturn

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

# What a spreadsheet takes as the start of a formula or a command (OWASP CSV injection).
DANGEROUS_LEADS = ("=", "+", "-", "@", "\t", "\r")

SAFE_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it without running it: a leading ``'`` when needed."""
    if text and text.startswith(DANGEROUS_LEADS):
        return "'" + text
    return text


class SafeWorksheet(Worksheet):  # type: ignore[misc]
    """A worksheet that writes every string as neutralised text and refuses formulas and links."""

    def _write_token_as_string(self, token: str, row: int, col: int, *args: Any) -> Any:
        if token == "":
            return self._write_blank(row, col, *args)
        return self._write_string(row, col, *args)

    def _write_string(self, row: int, col: int, string: str, cell_format: Any = None) -> Any:
        return super()._write_string(row, col, neutralise(str(string)), cell_format)

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("Exports write data only: formulas and links are refused (core.xlsx).")

    write_formula = _refuse
    _write_formula = _refuse
    write_array_formula = _refuse
    _write_array_formula = _refuse
    write_dynamic_array_formula = _refuse
    write_url = _refuse
    _write_url = _refuse


class SafeWorkbook(xlsxwriter.Workbook):  # type: ignore[misc]
    worksheet_class = SafeWorksheet


def workbook(target: Any, *, constant_memory: bool = False) -> SafeWorkbook:
    """A workbook writing to ``target`` (a path or a binary file object, e.g. ``io.BytesIO``).

    ``constant_memory`` streams rows to disk (large exports); then rows must be written in order.
    """
    options: dict[str, Any] = {**SAFE_OPTIONS}
    if constant_memory:
        options.update(constant_memory=True, in_memory=False)
    else:
        options.update(in_memory=True)
    return SafeWorkbook(target, options)
