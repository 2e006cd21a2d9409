"""The roster file format: its columns, their headers, and the words accepted in its cells.

A roster is a table whose first non-empty row is a header. Headers are matched after trimming
spaces and ignoring case; each column has a canonical Chinese header (written by the export) and
accepted aliases (English names among them). Columns the importer does not know are ignored.

| key | header | required |
|---|---|---|
| name | 姓名 | yes |
| id_number | 身份证号 | yes |
| phone | 手机号 | yes |
| enterprise_uscc | 单位统一社会信用代码 | no: an unknown enterprise is a row error |
| employment_type | 就业类型 | no: 企业职工/新就业形态劳动者/灵活就业/机关事业单位 or the code |
| gig_trade | 新业态职业 | no: 外卖骑手/快递员/… or the code; implies 新就业形态劳动者 |
| joined_on | 入会日期 | no: a date cell or YYYY-MM-DD; today when empty |
| is_frontline | 一线职工 | no: 是/否 |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from gonghui.core.errors import Refused

from ..models import EmploymentType, GigTrade


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("name", "full name", "职工姓名", "会员姓名"), required=True),
    Column(
        "id_number",
        "身份证号",
        ("id_number", "id number", "id", "身份证号码", "公民身份号码", "证件号码"),
        required=True,
    ),
    Column("phone", "手机号", ("phone", "mobile", "手机号码", "手机", "联系电话"), required=True),
    Column(
        "enterprise_uscc",
        "单位统一社会信用代码",
        ("enterprise_uscc", "uscc", "统一社会信用代码", "单位信用代码"),
    ),
    Column("employment_type", "就业类型", ("employment_type", "employment type")),
    Column("gig_trade", "新业态职业", ("gig_trade", "gig trade", "trade")),
    Column("joined_on", "入会日期", ("joined_on", "joined on", "join date", "入会时间")),
    Column("is_frontline", "一线职工", ("is_frontline", "frontline", "是否一线职工")),
)
KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS)
# Position of each key in a row tuple as handed out by the reader.
NAME, ID_NUMBER, PHONE, ENTERPRISE_USCC, EMPLOYMENT_TYPE, GIG_TRADE, JOINED_ON, IS_FRONTLINE = (
    range(len(KEYS))
)


def _norm_header(value: Any) -> str:
    return " ".join(str(value).replace("\u3000", " ").split()).lower().replace("_", " ")


_HEADER_TO_KEY: dict[str, str] = {}
for _col in COLUMNS:
    for _h in (_col.header, *_col.aliases):
        _HEADER_TO_KEY[_norm_header(_h)] = _col.key


def map_header(cells: Sequence[Any]) -> list[int | None]:
    """For each key in ``KEYS`` order, the index of its cell in the header row (None: absent).

    Refuses the whole file when a required column is missing or a column appears twice."""
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        if cell is None or cell == "":
            continue
        key = _HEADER_TO_KEY.get(_norm_header(cell))
        if key is None:
            continue
        if key in found:
            raise Refused(
                code="roster_duplicate_column",
                message=_("The column “%(column)s” appears twice in the header row.")
                % {"column": str(cell).strip()},
                field="file",
            )
        found[key] = i
    missing = [c.header for c in COLUMNS if c.required and c.key not in found]
    if missing:
        raise Refused(
            code="roster_missing_column",
            message=_(
                "The file has no column %(columns)s. The first row must hold the headers "
                "姓名, 身份证号 and 手机号; nothing was imported."
            )
            % {"columns": "、".join(missing)},
            field="file",
            data={"missing": missing},
        )
    return [found.get(k) for k in KEYS]


# --- words accepted in cells --------------------------------------------------------------
EMPLOYMENT_TYPE_WORDS: dict[str, str] = {
    "企业职工": EmploymentType.EMPLOYEE,
    "职工": EmploymentType.EMPLOYEE,
    "新就业形态劳动者": EmploymentType.GIG,
    "新就业形态": EmploymentType.GIG,
    "灵活就业": EmploymentType.FLEXIBLE,
    "灵活就业人员": EmploymentType.FLEXIBLE,
    "机关事业单位": EmploymentType.PUBLIC,
    "employee": EmploymentType.EMPLOYEE,
    "gig": EmploymentType.GIG,
    "gig worker": EmploymentType.GIG,
    "flexible": EmploymentType.FLEXIBLE,
    "public": EmploymentType.PUBLIC,
}
EMPLOYMENT_TYPE_LABELS: dict[str, str] = {
    EmploymentType.EMPLOYEE: "企业职工",
    EmploymentType.GIG: "新就业形态劳动者",
    EmploymentType.FLEXIBLE: "灵活就业",
    EmploymentType.PUBLIC: "机关事业单位",
}
GIG_TRADE_WORDS: dict[str, str] = {
    "外卖骑手": GigTrade.RIDER,
    "骑手": GigTrade.RIDER,
    "外卖配送员": GigTrade.RIDER,
    "快递员": GigTrade.COURIER,
    "快递小哥": GigTrade.COURIER,
    "货车司机": GigTrade.TRUCK_DRIVER,
    "网约车司机": GigTrade.RIDE_HAILING,
    "护理员/家政": GigTrade.CARE_WORKER,
    "护理员": GigTrade.CARE_WORKER,
    "家政": GigTrade.CARE_WORKER,
    "家政服务员": GigTrade.CARE_WORKER,
    "其他": GigTrade.OTHER,
    "rider": GigTrade.RIDER,
    "courier": GigTrade.COURIER,
    "truck driver": GigTrade.TRUCK_DRIVER,
    "truck_driver": GigTrade.TRUCK_DRIVER,
    "ride hailing": GigTrade.RIDE_HAILING,
    "ride_hailing": GigTrade.RIDE_HAILING,
    "care worker": GigTrade.CARE_WORKER,
    "care_worker": GigTrade.CARE_WORKER,
    "other": GigTrade.OTHER,
}
GIG_TRADE_LABELS: dict[str, str] = {
    GigTrade.NONE: "",
    GigTrade.RIDER: "外卖骑手",
    GigTrade.COURIER: "快递员",
    GigTrade.TRUCK_DRIVER: "货车司机",
    GigTrade.RIDE_HAILING: "网约车司机",
    GigTrade.CARE_WORKER: "护理员/家政",
    GigTrade.OTHER: "其他",
}
YES_WORDS = frozenset({"是", "y", "yes", "true", "1", "√", "✓"})
NO_WORDS = frozenset({"否", "n", "no", "false", "0", "×", ""})
