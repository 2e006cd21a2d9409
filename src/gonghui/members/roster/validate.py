"""Check roster rows: each value, duplicates within the file, and then against the database.

``check_rows`` decides everything that the file alone (plus the enterprise table) can decide, in
one pass and one enterprise query. ``check_against_db`` then takes one batch of good rows and
looks their ID numbers and phones up through the blind index (two queries per batch, never one
per row):

- the same ID number already a member OF THIS UNION with the same phone → "already present":
  skipped, not an error, so that importing the same file again changes nothing;
- the same ID number a member of this union with another phone, or a member of another union →
  an error naming the union that holds it;
- the phone used by another member → an error.

Duplicates within the file (the same ID number or phone on several rows) make every one of
those rows an error: the importer cannot know which one is right.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from phonenumbers import PhoneNumber, PhoneNumberType, number_type

from gonghui.core.identifiers import (
    InvalidIdentifier,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    normalize_uscc,
    parse_id_number,
    validate_uscc,
)
from gonghui.orgs.models import Enterprise, Org

from .. import pii
from ..models import EmploymentType, GigTrade, Member
from .columns import (
    EMPLOYMENT_TYPE,
    EMPLOYMENT_TYPE_WORDS,
    ENTERPRISE_USCC,
    GIG_TRADE,
    GIG_TRADE_WORDS,
    ID_NUMBER,
    IS_FRONTLINE,
    JOINED_ON,
    NAME,
    NO_WORDS,
    PHONE,
    YES_WORDS,
)
from .reader import Row

NAME_MAX = 60

logger = logging.getLogger("gonghui.members.roster")


@dataclass(slots=True)
class GoodRow:
    number: int
    name: str
    id_number: str
    phone: str
    birth_date: dt.date
    gender: str
    enterprise_id: int | None
    employment_type: str
    gig_trade: str
    is_frontline: bool
    joined_on: dt.date


@dataclass(slots=True)
class BadRow:
    number: int
    name: str
    id_shown: str  # masked: the report never carries a full ID number or phone
    phone_shown: str
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column header, reason)

    @property
    def reason(self) -> str:
        return "；".join(reason for _column, reason in self.problems)

    @property
    def columns(self) -> str:
        return "、".join(dict.fromkeys(column for column, _reason in self.problems))


Checked = GoodRow | BadRow


# --- cell helpers ---------------------------------------------------------------------------
def text(value: Any) -> str:
    """A cell as trimmed text; whole numbers stored as floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def shown_id(value: str) -> str:
    return mask_id_number(value) if len(value) >= 8 else "*" * len(value)


def shown_phone(value: str) -> str:
    return mask_phone(value) if len(value) >= 7 else "*" * len(value)


def _id_reason(exc: InvalidIdentifier) -> str:
    reasons = {
        "id_length": _("An ID number has 18 characters."),
        "id_chars": _("An ID number is 17 digits followed by a digit or X."),
        "id_region": _("An ID number cannot start with 0."),
        "id_birth_date": _("The birth date in the ID number is not a real, past date."),
        "id_check": _("The check character of the ID number is wrong."),
    }
    return reasons.get(exc.code, exc.reason)


def _phone_reason(exc: InvalidIdentifier) -> str:
    reasons = {
        "phone_format": _("This is not a phone number."),
        "phone_invalid": _("This is not a valid mainland China phone number."),
        "phone_not_mobile": _("A mobile number is needed to receive SMS codes."),
    }
    return reasons.get(exc.code, exc.reason)


_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def roster_phone(value: str) -> str:
    """``normalize_phone(value)``, with a fast path for the common form of a roster cell.

    For 11 ASCII digits starting with 1, ``phonenumbers.parse(value, "CN")`` yields country code
    86 and this national number, and a number of a mobile type is a valid one, so one
    ``number_type`` call decides (about three times faster than parse + validate + type).
    Anything else, and any number that fails, goes through ``normalize_phone`` itself, which
    also gives the reason."""
    if len(value) == 11 and value.isascii() and value.isdigit() and value[0] == "1":
        number = PhoneNumber(country_code=86, national_number=int(value))
        if number_type(number) in _MOBILE_TYPES:
            return value
    return normalize_phone(value)


def parse_date(value: Any) -> dt.date | None:
    """A date cell, or text as YYYY-MM-DD (also / . or no separator); None when not a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    s = text(value)
    for sep in ("/", "."):
        s = s.replace(sep, "-")
    try:
        if len(s) == 8 and s.isdigit():
            return dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
        parts = s.split(" ")[0].split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None
    return None


# --- the file alone ---------------------------------------------------------------------------
def enterprise_ids(usccs: Iterable[str]) -> dict[str, int]:
    """USCC → enterprise id for the codes that exist (queries in chunks of 1,000)."""
    codes = sorted(set(usccs))
    found: dict[str, int] = {}
    for i in range(0, len(codes), 1000):
        found.update(
            Enterprise.objects.filter(uscc__in=codes[i : i + 1000]).values_list("uscc", "id")
        )
    return found


def check_row(
    number: int, cells: Sequence[Any], *, today: dt.date, enterprises: dict[str, int]
) -> tuple[Checked, str | None, str | None]:
    """Check one row. Returns (result, normalised ID or None, normalised phone or None)."""
    problems: list[tuple[str, str]] = []

    name = " ".join(text(cells[NAME]).split())
    if not name:
        problems.append(("姓名", _("The name is missing.")))
    elif len(name) > NAME_MAX:
        problems.append(("姓名", _("The name is longer than %(n)s characters.") % {"n": NAME_MAX}))
    elif not any(c.isalpha() for c in name):
        problems.append(("姓名", _("A name must contain letters.")))

    raw_id = cells[ID_NUMBER]
    id_text = normalize_id_number(text(raw_id))
    id_number: str | None = None
    birth_date: dt.date | None = None
    gender = ""
    if not id_text:
        problems.append(("身份证号", _("The ID number is missing.")))
    elif isinstance(raw_id, float | int) and not isinstance(raw_id, bool) and len(id_text) > 15:
        problems.append(
            (
                "身份证号",
                _(
                    "The ID number was stored as a number and lost its last digits; "
                    "format the column as text."
                ),
            )
        )
    else:
        try:
            parsed = parse_id_number(id_text, today=today)
        except InvalidIdentifier as exc:
            problems.append(("身份证号", _id_reason(exc)))
        else:
            id_number, birth_date, gender = parsed.number, parsed.birth_date, parsed.gender

    phone_text = text(cells[PHONE])
    phone: str | None = None
    if not phone_text:
        problems.append(("手机号", _("The phone number is missing.")))
    else:
        try:
            phone = roster_phone(phone_text)
        except InvalidIdentifier as exc:
            problems.append(("手机号", _phone_reason(exc)))

    enterprise_id: int | None = None
    uscc_text = text(cells[ENTERPRISE_USCC])
    if uscc_text:
        try:
            uscc = validate_uscc(uscc_text)
        except InvalidIdentifier:
            problems.append(
                (
                    "单位统一社会信用代码",
                    _("“%(code)s” is not a valid unified social credit code.")
                    % {"code": uscc_text[:30]},
                )
            )
        else:
            enterprise_id = enterprises.get(uscc)
            if enterprise_id is None:
                problems.append(
                    (
                        "单位统一社会信用代码",
                        _("Unknown enterprise: no enterprise is registered with the code %(code)s.")
                        % {"code": uscc},
                    )
                )

    employment_type: str = EmploymentType.EMPLOYEE
    et_text = text(cells[EMPLOYMENT_TYPE])
    if et_text:
        found = EMPLOYMENT_TYPE_WORDS.get(et_text.lower())
        if found is None:
            problems.append(
                ("就业类型", _("Unknown employment type “%(value)s”.") % {"value": et_text[:30]})
            )
        else:
            employment_type = found
    gig_trade: str = GigTrade.NONE
    gt_text = text(cells[GIG_TRADE])
    if gt_text:
        found = GIG_TRADE_WORDS.get(gt_text.lower())
        if found is None:
            problems.append(
                ("新业态职业", _("Unknown gig trade “%(value)s”.") % {"value": gt_text[:30]})
            )
        elif not et_text:
            employment_type, gig_trade = EmploymentType.GIG, found
        elif employment_type != EmploymentType.GIG:
            problems.append(
                ("新业态职业", _("A gig trade is only for 新就业形态劳动者 (gig workers)."))
            )
        else:
            gig_trade = found

    joined_on = today
    raw_joined = cells[JOINED_ON]
    if text(raw_joined):
        parsed_date = parse_date(raw_joined)
        if parsed_date is None:
            problems.append(("入会日期", _("The join date is not a date (use YYYY-MM-DD).")))
        elif parsed_date > today:
            problems.append(("入会日期", _("The join date is in the future.")))
        elif birth_date is not None and parsed_date < birth_date:
            problems.append(("入会日期", _("The join date is before the birth date.")))
        else:
            joined_on = parsed_date

    is_frontline = False
    fl_text = text(cells[IS_FRONTLINE]).lower()
    if fl_text in YES_WORDS:
        is_frontline = True
    elif fl_text not in NO_WORDS:
        problems.append(("一线职工", _("一线职工 must be 是 or 否.")))

    if problems or id_number is None or phone is None or birth_date is None:
        bad = BadRow(number, name[:NAME_MAX], shown_id(id_text), shown_phone(phone_text), problems)
        return bad, id_number, phone
    good = GoodRow(
        number=number,
        name=name,
        id_number=id_number,
        phone=phone,
        birth_date=birth_date,
        gender=gender,
        enterprise_id=enterprise_id,
        employment_type=employment_type,
        gig_trade=gig_trade,
        is_frontline=is_frontline,
        joined_on=joined_on,
    )
    return good, id_number, phone


def to_bad(row: Checked) -> BadRow:
    if isinstance(row, BadRow):
        return row
    return BadRow(row.number, row.name, shown_id(row.id_number), shown_phone(row.phone))


def check_rows(
    rows: Sequence[Row],
    *,
    today: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> list[Checked]:
    """Check every row of the file; the result is aligned with ``rows``."""
    usccs = []
    for _number, cells in rows:
        value = text(cells[ENTERPRISE_USCC])
        if value:
            usccs.append(normalize_uscc(value))
    enterprises = enterprise_ids(usccs)

    checked: list[Checked] = []
    by_id: dict[str, list[int]] = defaultdict(list)
    by_phone: dict[str, list[int]] = defaultdict(list)
    total = len(rows)
    step = max(1000, total // 50)
    for i, (number, cells) in enumerate(rows):
        try:
            result, id_number, phone = check_row(
                number, cells, today=today, enterprises=enterprises
            )
        except Exception:
            # One row that no check foresaw is reported as that row's error; it never stops
            # the import of the others.
            logger.exception("roster row %s could not be checked", number)
            result, id_number, phone = (
                BadRow(number, " ".join(text(cells[NAME]).split())[:NAME_MAX], "", ""),
                None,
                None,
            )
            result.problems.append(("", _("This row could not be read. Check its cells.")))
        checked.append(result)
        if id_number is not None:
            by_id[id_number].append(i)
        if phone is not None:
            by_phone[phone].append(i)
        if progress is not None and (i + 1) % step == 0:
            progress(i + 1, total)

    for groups, column, message in (
        (
            by_id,
            "身份证号",
            _("Duplicate in the file: the same ID number is also on row %(rows)s."),
        ),
        (
            by_phone,
            "手机号",
            _("Duplicate in the file: the same phone number is also on row %(rows)s."),
        ),
    ):
        for positions in groups.values():
            if len(positions) < 2:
                continue
            for i in positions:
                others = ", ".join(str(checked[j].number) for j in positions if j != i)
                bad = to_bad(checked[i])
                bad.problems.append((column, message % {"rows": others}))
                checked[i] = bad
    if progress is not None:
        progress(total, total)
    return checked


# --- against the database ---------------------------------------------------------------------
@dataclass(slots=True)
class DbCheck:
    new: list[tuple[GoodRow, str, str]]  # (row, id index, phone index)
    present: int
    bad: list[BadRow]


def check_against_db(rows: Sequence[GoodRow], *, org: Org) -> DbCheck:
    """Split one batch of good rows into new, already present (skipped) and bad."""
    keyed = [(r, pii.id_number_index(r.id_number), pii.phone_index(r.phone)) for r in rows]
    if not keyed:
        return DbCheck(new=[], present=0, bad=[])
    holders: dict[str, tuple[int, str]] = {
        idx: (org_id, phone_idx)
        for idx, org_id, phone_idx in Member.objects.filter(
            id_number_index__in=[k[1] for k in keyed]
        ).values_list("id_number_index", "org_id", "phone_index")
    }
    phones_taken: dict[str, str] = dict(
        Member.objects.filter(phone_index__in=[k[2] for k in keyed]).values_list(
            "phone_index", "id_number_index"
        )
    )
    other_orgs = {org_id for org_id, _p in holders.values() if org_id != org.pk}
    org_names = dict(Org.objects.filter(pk__in=other_orgs).values_list("pk", "name"))

    result = DbCheck(new=[], present=0, bad=[])
    for row, id_idx, phone_idx in keyed:
        holder = holders.get(id_idx)
        if holder is not None:
            holder_org, holder_phone = holder
            if holder_org == org.pk and holder_phone == phone_idx:
                result.present += 1
                continue
            bad = to_bad(row)
            if holder_org == org.pk:
                bad.problems.append(
                    ("手机号", _("Already a member of this union, with a different phone number."))
                )
            else:
                bad.problems.append(
                    (
                        "身份证号",
                        _("Already a member of %(union)s.")
                        % {"union": org_names.get(holder_org, "?")},
                    )
                )
            result.bad.append(bad)
            continue
        if phones_taken.get(phone_idx, id_idx) != id_idx:
            bad = to_bad(row)
            bad.problems.append(
                ("手机号", _("The phone number is already used by another member."))
            )
            result.bad.append(bad)
            continue
        result.new.append((row, id_idx, phone_idx))
    return result
