"""Export of a union's members (its whole subtree) to .xlsx: masked by default.

Full ID numbers and phones are written only when the caller asks for them explicitly
(``reveal=True``) AND the actor holds ``members.reveal`` at the union; every export, masked or
not, is one audit entry (``members.roster.export``, with the row count and whether values were
revealed). The headers of the columns that the importer knows are the import headers, so an
unmasked export can be imported again (every row then counts as already present).

``actor`` is a staff user (console, or ``--user`` on the command line), or a plain string
naming a trusted operator on the server (the CLI without ``--user``), who gets masked values only.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core.audit import audit_record
from gonghui.core.crypto import decrypt
from gonghui.core.errors import NotFound, Refused
from gonghui.core.identifiers import mask_id_number, mask_phone
from gonghui.core.xlsx import workbook as xlsx_workbook
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

from ..models import PURPOSE_ID_NUMBER, PURPOSE_PHONE, Member
from ..pii import open_birth_date
from .columns import EMPLOYMENT_TYPE_LABELS, GIG_TRADE_LABELS

EXPORT_CAPABILITY = "members.export"
REVEAL_CAPABILITY = "members.reveal"

HEADERS = [
    "会员证号",
    "姓名",
    "身份证号",
    "手机号",
    "性别",
    "出生日期",
    "所属工会",
    "工会代码",
    "单位名称",
    "单位统一社会信用代码",
    "就业类型",
    "新业态职业",
    "一线职工",
    "状态",
    "入会日期",
]
GENDER_LABELS = {"M": "男", "F": "女"}
STATUS_LABELS = {
    Member.Status.ACTIVE: "正常",
    Member.Status.SUSPENDED: "暂停",
    Member.Status.TRANSFERRED: "已转出",
    Member.Status.LEFT: "已退会",
}


def _check_actor(actor: Any, org: Org, reveal: bool) -> None:
    if isinstance(actor, str):
        if reveal:
            raise Refused(
                code="reveal_needs_user",
                message=_("Full ID numbers and phones are exported only for a named staff user."),
                field="reveal",
                status=403,
            )
        return
    if not can(actor, EXPORT_CAPABILITY, org):
        raise NotFound()
    if reveal and not can(actor, REVEAL_CAPABILITY, org):
        raise Refused(
            code="reveal_not_allowed",
            message=_("You may not see full ID numbers and phones."),
            field="reveal",
            status=403,
        )


def members_export(
    *,
    actor: Any,
    org: Org,
    out: Path | str | IO[bytes],
    reveal: bool = False,
    ip: str | None = None,
) -> int:
    """Write the members of ``org`` and its subtree to ``out`` (.xlsx); return the row count."""
    _check_actor(actor, org, reveal)
    fields = [
        "member_no",
        "name",
        "id_number_cipher",
        "phone_cipher",
        "gender",
        "birth_date_cipher",
        "org__name",
        "org__code",
        "enterprise__name",
        "enterprise__uscc",
        "employment_type",
        "gig_trade",
        "is_frontline",
        "status",
        "joined_on",
    ]
    qs = (
        Member.objects.filter(org__path__startswith=org.path)
        .order_by("org__path", "member_no")
        .values_list(*fields)
    )
    target: Any = str(out) if isinstance(out, Path | str) else out
    count = 0
    with transaction.atomic():
        workbook = xlsx_workbook(target, constant_memory=True)
        try:
            sheet = workbook.add_worksheet(_("Members")[:31])
            bold = workbook.add_format({"bold": True})
            date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
            sheet.set_column(0, 0, 14)
            sheet.set_column(2, 2, 22)
            sheet.set_column(3, 3, 14)
            sheet.set_column(5, 5, 12)
            sheet.set_column(6, 9, 24)
            sheet.set_column(14, 14, 12)
            sheet.write_row(0, 0, HEADERS, bold)
            row = 1
            for (
                member_no,
                name,
                id_cipher,
                phone_cipher,
                gender,
                birth_cipher,
                org_name,
                org_code,
                ent_name,
                ent_uscc,
                employment_type,
                gig_trade,
                is_frontline,
                status,
                joined_on,
            ) in qs.iterator(chunk_size=2000):
                # Nothing is stored masked: the masks are derived from the ciphertexts here.
                id_shown = decrypt(id_cipher, purpose=PURPOSE_ID_NUMBER)
                phone_shown = decrypt(phone_cipher, purpose=PURPOSE_PHONE)
                if not reveal:
                    id_shown, phone_shown = mask_id_number(id_shown), mask_phone(phone_shown)
                birth_date = open_birth_date(birth_cipher)
                sheet.write_string(row, 0, member_no)
                sheet.write_string(row, 1, name)
                sheet.write_string(row, 2, id_shown)
                sheet.write_string(row, 3, phone_shown)
                sheet.write_string(row, 4, GENDER_LABELS.get(gender, gender))
                sheet.write_datetime(row, 5, birth_date, date_fmt)
                sheet.write_string(row, 6, org_name)
                sheet.write_string(row, 7, org_code)
                sheet.write_string(row, 8, ent_name or "")
                sheet.write_string(row, 9, ent_uscc or "")
                sheet.write_string(
                    row, 10, EMPLOYMENT_TYPE_LABELS.get(employment_type, employment_type)
                )
                sheet.write_string(row, 11, GIG_TRADE_LABELS.get(gig_trade, gig_trade))
                sheet.write_string(row, 12, "是" if is_frontline else "否")
                sheet.write_string(row, 13, STATUS_LABELS.get(status, status))
                sheet.write_datetime(row, 14, joined_on, date_fmt)
                row += 1
                count += 1
            sheet.freeze_panes(1, 0)
        finally:
            workbook.close()
        audit_record(
            actor=actor,
            action="members.roster.export",
            obj=org,
            org=org,
            data={"rows": count, "revealed": bool(reveal)},
            ip=ip,
        )
    return count
