"""The console's one export action: the selected rows of a list as an .xlsx workbook.

A console list offers it by declaring ``export_columns`` on its ``ScopedAdmin``: a sequence of
``Column(header, value)``, ``value`` being a dotted attribute path (``"member.member_no"``,
``"get_status_display"``; a callable attribute is called) or a function of the row. Then

- the rows are the admin's own queryset (``get_queryset``: scoped by ``orgs.scoping``), narrowed
  to the selection or to the whole filtered list ("select all"), never more;
- the workbook is written by ``core.xlsx`` (text stays text: formula-injection safe), with the
  translated headers, times in local time (Asia/Shanghai), amounts in yuan (``Yuan`` columns),
  booleans as 是/否;
- personal data appear only as the admin's columns say: masked (``phone_masked``), never a
  sealed full value — ``columns_problem`` refuses a column reading a sealed field;
- one audit entry (``<app>.<model>.export``, the row count) is written in the same transaction
  as the rows are read.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import timeutil
from gonghui.core.audit import audit_record, client_ip

from .models import Org
from .scoping import is_unrestricted, scope_roots

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Attribute names that hold (or unseal) full personal data: never an export column.
SEALED_NAMES = ("id_number", "phone", "sealed", "ciphertext", "_index")


@dataclass(frozen=True)
class Column:
    header: Any  # a (lazy) translated string
    value: str | Callable[[Any], Any]
    yuan: bool = False  # an integer amount in fen, written in yuan (0.00)


def Yuan(header: Any, value: str | Callable[[Any], Any]) -> Column:
    """A column of an amount in fen, written as a number of yuan with two decimals."""
    return Column(header, value, yuan=True)


def member_columns(path: str = "member") -> tuple[Column, Column, Column]:
    """The member of a row as every export shows it: member number, name, masked phone."""
    return (
        Column(gettext_lazy("Member number"), f"{path}.member_no"),
        Column(gettext_lazy("Full name"), f"{path}.name"),
        Column(gettext_lazy("Phone"), f"{path}.phone_masked"),
    )


def _sealed(model: type[models.Model] | None, path: str) -> bool:
    """Does the dotted ``path`` from ``model`` reach a sealed field (or its ciphertext)?"""
    for part in path.split("."):
        if part.endswith("_masked"):
            return False
        if any(name in part for name in SEALED_NAMES):
            return True
        if model is None:
            return False
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:  # a property or method: nothing more to look up
            return False
        if "Sealed" in type(field).__name__:
            return True
        model = field.related_model if field.is_relation else None
    return False


def columns_problem(model: type[models.Model] | None, columns: Sequence[Column]) -> str | None:
    """Why these columns must not be exported (a sealed field read), or None."""
    for col in columns:
        if isinstance(col.value, str) and _sealed(model, col.value):
            return f"export column {col.value!r} reads a sealed field; export the _masked one"
    return None


def _read(obj: Any, value: str | Callable[[Any], Any]) -> Any:
    if callable(value):
        return value(obj)
    target = obj
    for part in value.split("."):
        if target is None:
            return None
        target = getattr(target, part)
        if callable(target) and not isinstance(target, models.Model):
            target = target()
    return target


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell: local times, 是/否, text for everything else."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("Yes")) if value else str(_("No"))
    if isinstance(value, dt.datetime):
        local = timeutil.to_local(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, Promise | models.Model):
        return str(value)
    return str(value)


def _audit_org(request: HttpRequest, capability: str) -> Org | None:
    """The org an export is recorded under: the user's scope root (None for a superuser)."""
    if is_unrestricted(request.user):
        return None
    roots = scope_roots(request.user, capability)
    return Org.objects.filter(path=roots[0]).first() if roots else None


def export_workbook(
    *,
    request: HttpRequest,
    model: type[models.Model],
    rows: Iterable[Any],
    columns: Sequence[Column],
    capability: str,
) -> tuple[bytes, int]:
    """Write ``rows`` (of ``model``'s list, already scoped) with ``columns``; audit the export
    in the same transaction as the rows are read. Returns the workbook's bytes and the count."""
    from gonghui.core.xlsx import workbook

    row_model = rows.model if isinstance(rows, QuerySet) else None
    problem = columns_problem(row_model, columns)
    if problem:
        raise ValueError(problem)
    buf = io.BytesIO()
    with transaction.atomic():
        wb = workbook(buf)
        money = wb.add_format({"num_format": "0.00"})
        ws = wb.add_worksheet(str(model._meta.verbose_name_plural)[:31])
        ws.write_row(0, 0, [str(col.header) for col in columns])
        n = 0
        for obj in rows:
            n += 1
            for c, col in enumerate(columns):
                raw = _read(obj, col.value)
                if col.yuan and isinstance(raw, int):
                    ws.write_number(n, c, Decimal(raw) / 100, money)
                else:
                    ws.write(n, c, cell(raw))
        ws.freeze_panes(1, 0)
        wb.close()
        audit_record(
            actor=request.user,
            action=f"{model._meta.label_lower}.export",
            org=_audit_org(request, capability),
            data={"via": "console", "rows": n, "format": "xlsx"},
            ip=client_ip(request),
        )
    return buf.getvalue(), n


@admin.action(description=gettext_lazy("Export to Excel (.xlsx)"), permissions=["view"])
def export_xlsx(modeladmin: Any, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
    """The admin action: the selected (scoped) rows as .xlsx, audited."""
    body, _rows = export_workbook(
        request=request,
        model=queryset.model,
        rows=modeladmin.export_rows(request, queryset),
        columns=modeladmin.export_columns,
        capability=modeladmin.view_capability,
    )
    opts = queryset.model._meta
    stamp = timeutil.to_local(timeutil.now()).strftime("%Y%m%d-%H%M")
    response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="{opts.app_label}-{opts.model_name}-{stamp}.xlsx"'
    )
    response["Cache-Control"] = "no-store"
    return response
