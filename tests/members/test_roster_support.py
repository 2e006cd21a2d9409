"""Helpers shared by the roster tests: roster files and a small world of unions."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from gonghui.members.models import ImportJob
from gonghui.orgs.models import Org
from tests.factories import EnterpriseFactory, make_member, org_child, org_root, uscc_for

HEADER = [
    "姓名",
    "身份证号",
    "手机号",
    "单位统一社会信用代码",
    "就业类型",
    "新业态职业",
    "入会日期",
    "一线职工",
]


def write_xlsx(
    path: Path, rows: list[list[Any]], *, header: list[str] | None = None, skip: int = 0
) -> Path:
    """A workbook whose header is on spreadsheet row ``skip + 1``; cells written as given
    (strings as text, numbers as numbers)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(skip, 0, header or HEADER)
    for i, row in enumerate(rows, start=skip + 1):
        for j, value in enumerate(row):
            if isinstance(value, str):
                ws.write_string(i, j, value)
            elif value is not None:
                ws.write(i, j, value)
    wb.close()
    return path


def write_csv(
    path: Path, rows: list[list[Any]], *, encoding: str, header: list[str] | None = None
) -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header or HEADER)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def read_xlsx(path: Path | str) -> list[list[Any]]:
    return (
        CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    )


def report_rows(path: Path | str) -> dict[int, list[Any]]:
    """Row number in the roster → the report's row (title on row 1, headers on row 2)."""
    rows = read_xlsx(path)[2:]
    return {int(r[0]): r for r in rows}


def with_bad_check(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("1" if last != "1" else "2")


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    return settings.PRIVATE_ROOT


class World:
    def __init__(self) -> None:
        self.fed = org_root(name="玉环市总工会")
        self.union = org_child(self.fed, name="城关工会")
        self.other = org_child(self.fed, name="东方工会")
        self.district = org_child(self.fed, kind=Org.Kind.DISTRICT, name="坎门街道总工会")
        self.enterprise = EnterpriseFactory(union=self.union, uscc=uscc_for(4242))
        # A member of another union, whose ID number and phone show up in the roster.
        self.outsider = make_member(self.other, n=500)


def new_job(org: Org, name: str = "roster.xlsx", user: Any = None) -> ImportJob:
    return ImportJob.objects.create(org=org, file_name=name, file_sha256="0" * 64, created_by=user)
