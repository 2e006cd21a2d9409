"""Settlements: a merchant's union-paid redemptions of a period gathered, paid, and stated."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.core.timeutil import SHANGHAI, local_today, now
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind

from ..models import Merchant, Redemption, Settlement
from .common import LEDGER_SETTLEMENT, payable_account


@transaction.atomic
def settlement_create(
    *, merchant: Merchant, period_start: dt.date, period_end: dt.date, actor: Any
) -> Settlement:
    """Gather the merchant's unsettled, active, union-paid redemptions of [start, end] (local
    dates, end included, days already over) into a draft settlement."""
    if period_end < period_start:
        raise Refused(
            code="invalid_period",
            message=_("The end of the period must not be before its start."),
            field="period_end",
        )
    if period_end >= local_today():
        raise Refused(
            code="period_open",
            message=_("Settle only days that are over (up to yesterday)."),
            field="period_end",
        )
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()  # one settler at a time
    rows = Redemption.objects.select_for_update().filter(
        merchant=merchant,
        status=Redemption.Status.ACTIVE,
        settlement__isnull=True,
        subsidy_fen__gt=0,
        local_date__gte=period_start,
        local_date__lte=period_end,
    )
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        raise Refused(
            code="nothing_to_settle",
            message=_("No unsettled union-paid redemptions in this period."),
        )
    settlement = Settlement.objects.create(
        merchant=merchant,
        period_start=period_start,
        period_end=period_end,
        created_by=actor if is_staff_actor(actor) else None,
    )
    Redemption.objects.filter(pk__in=ids).update(settlement=settlement)
    total = Redemption.objects.filter(settlement=settlement).aggregate(t=Sum("subsidy_fen"))["t"]
    settlement.total_subsidy_fen = int(total or 0)
    settlement.count = len(ids)
    settlement.save(update_fields=["total_subsidy_fen", "count"])
    audit_record(
        actor=actor,
        action="benefits.settlement.create",
        obj=settlement,
        org=merchant.org,
        data={
            "period": [period_start.isoformat(), period_end.isoformat()],
            "total_subsidy_fen": settlement.total_subsidy_fen,
            "count": settlement.count,
        },
    )
    return settlement


@transaction.atomic
def settlement_mark_paid(*, settlement: Settlement, actor: Any) -> Settlement:
    """Record the payment: merchant payable → the managing union's bank account (ledger)."""
    locked = (
        Settlement.objects.select_for_update(of=("self",))
        .select_related("merchant", "merchant__org")
        .get(pk=settlement.pk)
    )
    if locked.status == Settlement.Status.PAID:
        raise Refused(
            code="already_paid", message=_("This settlement is already paid."), status=409
        )
    merchant = locked.merchant
    bank = funds.account_open(org=merchant.org, kind=AccountKind.BANK)
    txn = funds.transaction_post(
        org=merchant.org,
        kind=LEDGER_SETTLEMENT,
        entries=[
            (payable_account(merchant), locked.total_subsidy_fen),
            (bank, -locked.total_subsidy_fen),
        ],
        memo=_("Settlement %(period)s") % {"period": f"{locked.period_start}–{locked.period_end}"},
        source=("benefits.settlement", locked.pk),
        actor=actor,
    )
    locked.status = Settlement.Status.PAID
    locked.paid_txn = txn
    locked.paid_at = now()
    locked.paid_by = actor if is_staff_actor(actor) else None
    locked.save(update_fields=["status", "paid_txn", "paid_at", "paid_by"])
    audit_record(
        actor=actor,
        action="benefits.settlement.paid",
        obj=locked,
        org=merchant.org,
        data={"total_subsidy_fen": locked.total_subsidy_fen, "transaction": txn.pk},
    )
    return locked


def settlement_statement_xlsx(settlement: Settlement) -> bytes:
    """The settlement statement as an .xlsx workbook: a summary, then one line per redemption."""
    from gonghui.core.xlsx import workbook

    buffer = io.BytesIO()
    book = workbook(buffer)
    sheet = book.add_worksheet(_("Statement")[:31])
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    merchant = settlement.merchant
    head = [
        (_("Merchant"), merchant.name),
        (_("Unified social credit code"), merchant.uscc),
        (_("Settlement account"), merchant.settlement_account),
        (_("Managing union"), merchant.org.name),
        (_("Period"), f"{settlement.period_start} – {settlement.period_end}"),
        (_("Redemptions"), settlement.count),
        (_("Total subsidy (yuan)"), settlement.total_subsidy_fen / 100),
        (_("Status"), str(settlement.get_status_display())),
    ]
    for row, (label, value) in enumerate(head):
        sheet.write(row, 0, str(label), bold)
        if isinstance(value, float):
            sheet.write_number(row, 1, value, money)
        else:
            sheet.write(row, 1, value)
    columns = [
        _("No."),
        _("Time"),
        _("Store"),
        _("Offer"),
        _("Member number"),
        _("Bill (yuan)"),
        _("Discount (yuan)"),
        _("Union subsidy (yuan)"),
        _("Member paid (yuan)"),
    ]
    top = len(head) + 1
    for col, label in enumerate(columns):
        sheet.write(top, col, str(label), bold)
    rows = settlement.redemptions.select_related("store", "offer", "member").order_by(
        "created_at", "pk"
    )
    r = top
    for r, red in enumerate(rows, start=top + 1):
        sheet.write_number(r, 0, red.pk)
        sheet.write(r, 1, red.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))
        sheet.write(r, 2, red.store.name)
        sheet.write(r, 3, red.offer.title)
        sheet.write(r, 4, red.member.member_no)
        for col, fen in enumerate(
            (red.bill_fen, red.discount_fen, red.subsidy_fen, red.pay_fen), start=5
        ):
            sheet.write_number(r, col, fen / 100, money)
    sheet.write(r + 1, 0, str(_("Total")), bold)
    sheet.write_number(r + 1, 7, settlement.total_subsidy_fen / 100, money)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 8, 16)
    book.close()
    return buffer.getvalue()
