"""Mutual-aid console: enrolment batches, premium invoices (.xlsx) and enrolments."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.errors import Refused
from gonghui.core.identifiers import normalize_member_no
from gonghui.members.models import Member
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.models import Enterprise
from gonghui.orgs.scoping import can, scope

from .. import selectors, services
from ..models import (
    AidEnrolment,
    AidPlan,
    EnrolmentBatch,
    PaidBy,
    PremiumInvoice,
)
from .plans import _fen


class BatchForm(forms.Form):
    plan = forms.ModelChoiceField(label=gettext_lazy("Plan"), queryset=AidPlan.objects.none())
    enterprise = forms.ModelChoiceField(
        label=gettext_lazy("Enterprise"), queryset=Enterprise.objects.none()
    )
    shares = forms.IntegerField(label=gettext_lazy("Shares per member"), min_value=1, initial=1)
    paid_by = forms.ChoiceField(
        label=gettext_lazy("Premium paid by"), choices=PaidBy.choices, initial=PaidBy.SHARED
    )
    member_numbers = forms.CharField(
        label=gettext_lazy("Member numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One per line; leave empty to enrol every active member."),
    )


@admin.register(EnrolmentBatch)
class EnrolmentBatchAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "mutualaid.enrol"
    change_capability = None
    add_capability = "mutualaid.enrol"
    list_display = ["id", "enterprise", "plan", "shares", "paid_by", "enrolled_count", "created_at"]
    list_filter = ["plan__year", "paid_by"]
    list_select_related = ["enterprise", "plan"]
    readonly_fields = [
        "plan",
        "enterprise",
        "org",
        "shares",
        "paid_by",
        "enrolled_count",
        "skipped_count",
        "created_by",
        "created_at",
    ]
    fields = readonly_fields

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise Http404
        form = BatchForm(request.POST or None)
        form.fields["plan"].queryset = selectors.plans_for_user(  # type: ignore[attr-defined]
            request.user, "mutualaid.enrol"
        )
        form.fields["enterprise"].queryset = scope(  # type: ignore[attr-defined]
            Enterprise.objects.all(), request.user, "mutualaid.enrol", field="union"
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            numbers = list(
                dict.fromkeys(
                    normalize_member_no(n) for n in data["member_numbers"].split() if n.strip()
                )
            )
            members = None
            if numbers:
                # Only members in the admin's scope: a number outside it is as unknown as one
                # that does not exist, so the form never names a member the admin may not see.
                members = list(
                    scope(
                        Member.objects.filter(member_no__in=numbers),
                        request.user,
                        "mutualaid.enrol",
                    )
                )
                missing = set(numbers) - {m.member_no for m in members}
                if missing:
                    form.add_error(
                        "member_numbers",
                        _("Unknown member numbers: %(list)s")
                        % {"list": ", ".join(sorted(missing))},
                    )
            if not form.errors:
                try:
                    batch = services.enrolment_batch_create(
                        plan=data["plan"],
                        enterprise=data["enterprise"],
                        actor=request.user,
                        members=members,
                        shares=data["shares"],
                        paid_by=data["paid_by"],
                    )
                except Refused as exc:
                    form.add_error(
                        exc.field if exc.field in form.fields else None, str(exc.message)
                    )
                else:
                    messages.success(
                        request,
                        _("Enrolled %(n)d member(s); %(skipped)d were already enrolled.")
                        % {"n": batch.enrolled_count, "skipped": batch.skipped_count},
                    )
                    return HttpResponseRedirect(
                        reverse("admin:mutualaid_enrolmentbatch_change", args=[batch.pk])
                    )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Enrol an enterprise's members"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/mutualaid/batch_add.html", context)


@admin.register(PremiumInvoice)
class PremiumInvoiceAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "mutualaid.enrol"
    change_capability = None
    list_display = [
        "number",
        "enterprise",
        "plan",
        "member_count",
        "total",
        "status",
        "issued_at",
        "paid_at",
        "download",
    ]
    list_filter = ["status", "plan__year"]
    search_fields = ["number", "enterprise__name"]
    list_select_related = ["enterprise", "plan"]
    readonly_fields = [
        "number",
        "batch",
        "plan",
        "enterprise",
        "org",
        "member_count",
        "unit_part_fen",
        "member_part_fen",
        "total_fen",
        "status",
        "issued_at",
        "paid_at",
        "ledger_transaction_id",
        "download",
    ]
    fields = readonly_fields
    actions = ["mark_paid"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    @admin.display(description=gettext_lazy("Total"))
    def total(self, obj: PremiumInvoice) -> str:
        return _fen(obj.total_fen)

    @admin.display(description=gettext_lazy("Spreadsheet"))
    def download(self, obj: PremiumInvoice) -> str:
        if obj.pk is None:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:mutualaid_premiuminvoice_xlsx", args=[obj.pk]),
            _("Download .xlsx"),
        )

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<int:pk>/xlsx/",
                self.admin_site.admin_view(self.xlsx_view),
                name="mutualaid_premiuminvoice_xlsx",
            )
        ]
        return extra + super().get_urls()

    def xlsx_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = (
            self.get_queryset(request).select_related("plan", "enterprise").filter(pk=pk).first()
        )
        if invoice is None:
            raise Http404
        body = invoice_xlsx(invoice)
        response = HttpResponse(
            body,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xlsx"'
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description=gettext_lazy("Premiums received: book them into the fund"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[PremiumInvoice]) -> None:
        done = 0
        for invoice in queryset:
            if not can(request.user, "mutualaid.enrol", invoice.org):
                continue
            try:
                services.premium_receive(invoice=invoice, actor=request.user)
                done += 1
            except Refused as exc:
                messages.error(request, f"{invoice.number}: {exc.message}")
        messages.success(request, _("%(n)d invoice(s) booked as paid.") % {"n": done})


def invoice_xlsx(invoice: PremiumInvoice) -> bytes:
    """The invoice and its list of enrolled members as a spreadsheet (masked ID numbers)."""
    from gonghui.core.xlsx import workbook

    out = io.BytesIO()
    book = workbook(out)
    sheet = book.add_worksheet(_("Invoice"))
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "0.00"})
    rows = [
        (_("Invoice number"), invoice.number),
        (_("Plan"), str(invoice.plan)),
        (_("Enterprise"), invoice.enterprise.name),
        (_("Members enrolled"), invoice.member_count),
        (_("Status"), str(invoice.get_status_display())),
    ]
    for r, (label, value) in enumerate(rows):
        sheet.write(r, 0, str(label), bold)
        sheet.write(r, 1, value)
    for r, (label, fen) in enumerate(
        [
            (_("Employer part (yuan)"), invoice.unit_part_fen),
            (_("Member part (yuan)"), invoice.member_part_fen),
            (_("Total (yuan)"), invoice.total_fen),
        ],
        start=len(rows),
    ):
        sheet.write(r, 0, str(label), bold)
        sheet.write_number(r, 1, fen / 100, money)
    start = len(rows) + 4
    headers = [
        _("Member number"),
        _("Member name"),
        _("ID number"),
        _("Shares"),
        _("Employer part (yuan)"),
        _("Member part (yuan)"),
        _("Covered from"),
    ]
    for c, h in enumerate(headers):
        sheet.write(start, c, str(h), bold)
    enrolments = invoice.batch.enrolments.select_related("member").order_by("member__member_no")
    for i, e in enumerate(enrolments, start=start + 1):
        sheet.write(i, 0, e.member.member_no)
        sheet.write(i, 1, e.member.name)
        sheet.write(i, 2, e.member.id_number_masked)
        sheet.write_number(i, 3, e.shares)
        sheet.write_number(i, 4, e.unit_part_fen / 100, money)
        sheet.write_number(i, 5, e.member_part_fen / 100, money)
        sheet.write(i, 6, e.coverage_from.isoformat())
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 6, 16)
    book.close()
    return out.getvalue()


@admin.register(AidEnrolment)
class AidEnrolmentAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "mutualaid.enrol"
    change_capability = None
    list_display = [
        "member",
        "plan",
        "enterprise",
        "shares",
        "paid_by",
        "status",
        "coverage_from",
        "coverage_until",
    ]
    list_filter = ["plan__year", "status", "paid_by"]
    search_fields = ["member__member_no", "member__name"]
    list_select_related = ["member", "plan", "enterprise"]
    readonly_fields = [
        "plan",
        "member",
        "org",
        "enterprise",
        "batch",
        "shares",
        "paid_by",
        "premium_fen",
        "unit_part_fen",
        "member_part_fen",
        "status",
        "enrolled_at",
        "coverage_from",
        "coverage_until",
    ]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False


# --- claims: the review queue ----------------------------------------------------------------
