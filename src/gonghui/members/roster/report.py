"""The error report of a roster import: one .xlsx row per bad roster row, with its reasons.

ID numbers and phones appear masked (as everywhere in the console): the report names the row
of the original file, which the person who uploaded it holds, so it need not carry full values.
Reports are written under ``settings.PRIVATE_ROOT`` and served only through a scope-checked view.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gonghui.core.xlsx import workbook as xlsx_workbook

from .validate import BadRow


def reports_dir() -> Path:
    path = Path(settings.PRIVATE_ROOT) / "roster" / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_report_path(job_id: int) -> Path:
    return reports_dir() / f"job-{job_id}-errors.xlsx"


def write_error_report(path: Path | str, bad_rows: Sequence[BadRow], *, file_name: str) -> Path:
    """Write the report (sorted by row number) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    workbook = xlsx_workbook(str(tmp), constant_memory=True)
    try:
        sheet = workbook.add_worksheet(_("Errors")[:31])
        bold = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
        wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        top = workbook.add_format({"valign": "top"})
        headers = [
            _("Row"),
            pgettext("person", "Name"),
            _("ID number (masked)"),
            _("Phone (masked)"),
            _("Column"),
            _("Reason"),
        ]
        widths = [8, 14, 22, 16, 22, 70]
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        sheet.write_string(0, 0, _("Import errors of %(file)s") % {"file": file_name}, bold)
        sheet.write_row(1, 0, headers, bold)
        row_no = 2
        for bad in sorted(bad_rows, key=lambda b: b.number):
            sheet.write_number(row_no, 0, bad.number, top)
            sheet.write_string(row_no, 1, bad.name, top)
            sheet.write_string(row_no, 2, bad.id_shown, top)
            sheet.write_string(row_no, 3, bad.phone_shown, top)
            sheet.write_string(row_no, 4, bad.columns, top)
            sheet.write_string(row_no, 5, bad.reason, wrap)
            row_no += 1
        sheet.freeze_panes(2, 0)
        sheet.autofilter(1, 0, max(row_no - 1, 1), len(headers) - 1)
    finally:
        workbook.close()
    tmp.replace(path)
    return path
