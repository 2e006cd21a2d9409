"""Benefits console: redemptions (read-only; "Void" reverses everything, ``benefits.void``) and
settlements ("New settlement", the statement .xlsx, "Mark paid" writes the ledger;
``benefits.settle``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.decorators import action

from gonghui.core.audit import audit_record, client_ip
from gonghui.core.errors import Refused
from gonghui.core.money import format_fen
from gonghui.core.timeutil import local_today
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.console_export import Column, Yuan, member_columns
from gonghui.orgs.scoping import can

from .. import services
from ..models import Merchant, Redemption, Settlement
from .merchants import SETTLE, VIEW, VOID, _merchants


# --- redemptions -----------------------------------------------------------------------------
class VoidForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


@admin.register(Redemption)
class RedemptionAdmin(ScopedAdmin):
    scope_field = "merchant__org"
    view_capability = VIEW
    change_capability = None
    list_display = [
        "id",
        "created_at",
        "store",
        "offer",
        "member",
        "bill",
        "discount",
        "subsidy",
        "status",
    ]
    list_filter = ["status", "local_date"]
    search_fields = ["member__member_no", "store__name", "offer__title"]
    date_hierarchy = "local_date"
    actions_detail = ["void"]
    export_select_related = ("merchant", "store", "offer", "member", "member__org")
    export_columns = (
        Column(gettext_lazy("Redemption no."), "pk"),
        Column(gettext_lazy("Redeemed at"), "created_at"),
        Column(gettext_lazy("Merchant"), "merchant.name"),
        Column(gettext_lazy("Store"), "store.name"),
        Column(gettext_lazy("Offer"), "offer.title"),
        *member_columns(),
        Column(gettext_lazy("Union"), "member.org.name"),
        Yuan(gettext_lazy("Bill (yuan)"), "bill_fen"),
        Yuan(gettext_lazy("Discount (yuan)"), "discount_fen"),
        Yuan(gettext_lazy("Union subsidy (yuan)"), "subsidy_fen"),
        Yuan(gettext_lazy("Member pays (yuan)"), "pay_fen"),
        Column(gettext_lazy("Status"), "get_status_display"),
        Column(gettext_lazy("Voided at"), "voided_at"),
        Column(gettext_lazy("Settlement"), "settlement_id"),
    )
    readonly_fields = [
        "offer",
        "merchant",
        "store",
        "terminal",
        "member",
        "bill_fen",
        "discount_fen",
        "subsidy_fen",
        "pay_fen",
        "status",
        "ledger_txn",
        "void_txn",
        "void_reason",
        "voided_at",
        "voided_by",
        "settlement",
        "local_date",
        "created_at",
    ]
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .select_related("offer", "store", "member", "merchant", "store__merchant")
        )

    @admin.display(description=gettext_lazy("Bill"))
    def bill(self, obj: Redemption) -> str:
        return format_fen(obj.bill_fen)

    @admin.display(description=gettext_lazy("Discount"))
    def discount(self, obj: Redemption) -> str:
        return format_fen(obj.discount_fen)

    @admin.display(description=gettext_lazy("Union subsidy"))
    def subsidy(self, obj: Redemption) -> str:
        return format_fen(obj.subsidy_fen)

    def has_benefits_void_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, VOID)

    @action(description=gettext_lazy("Void"), url_path="void", permissions=["benefits_void"])
    def void(self, request: HttpRequest, object_id: str) -> HttpResponse:
        red = (
            self.get_queryset(request).filter(pk=object_id).first() if object_id.isdigit() else None
        )
        if red is None or not can(request.user, VOID, red.merchant.org):
            raise Http404
        form = VoidForm(request.POST or None)
        back = reverse("admin:benefits_redemption_change", args=[red.pk])
        if request.method == "POST" and form.is_valid():
            try:
                services.redemption_void(
                    redemption=red, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except Refused as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("The redemption is voided."))
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Void redemption #%(id)s") % {"id": red.pk},
            "opts": self.model._meta,
            "redemption": red,
            "form": form,
            "back": back,
        }
        return TemplateResponse(request, "benefits/admin/redemption_void.html", context)


# --- settlements -----------------------------------------------------------------------------
class SettlementForm(forms.Form):
    merchant = forms.ModelChoiceField(label=gettext_lazy("Merchant"), queryset=Merchant.objects)
    period_start = forms.DateField(label=gettext_lazy("From"))
    period_end = forms.DateField(label=gettext_lazy("To (included)"))

    def __init__(self, *args: Any, merchants: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants  # type: ignore[attr-defined]


@admin.register(Settlement)
class SettlementAdmin(ScopedAdmin):
    scope_field = "merchant__org"
    view_capability = VIEW
    change_capability = None
    list_display = ["id", "merchant", "period_start", "period_end", "count", "total", "status"]
    list_filter = ["status"]
    search_fields = ["merchant__name"]
    actions_list = ["new_settlement"]
    actions_detail = ["statement", "mark_paid"]
    readonly_fields = [
        "merchant",
        "period_start",
        "period_end",
        "count",
        "total_subsidy_fen",
        "status",
        "paid_txn",
        "paid_at",
        "paid_by",
        "created_by",
        "created_at",
        "download",
    ]
    fields = readonly_fields

    @admin.display(description=gettext_lazy("Total subsidy"))
    def total(self, obj: Settlement) -> str:
        return format_fen(obj.total_subsidy_fen)

    @admin.display(description=gettext_lazy("Statement"))
    def download(self, obj: Settlement) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:benefits_settlement_statement", args=[obj.pk]),
            _("Download (.xlsx)"),
        )

    def has_benefits_settle_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, SETTLE)

    def has_benefits_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, VIEW)

    def _settlement(self, request: HttpRequest, object_id: str) -> Settlement:
        obj = (
            self.get_queryset(request).filter(pk=object_id).first() if object_id.isdigit() else None
        )
        if obj is None:
            raise Http404
        return obj

    @action(
        description=gettext_lazy("New settlement"),
        url_path="new",
        permissions=["benefits_settle"],
    )
    def new_settlement(self, request: HttpRequest) -> HttpResponse:
        merchants = _merchants(request, SETTLE)
        yesterday = local_today() - dt.timedelta(days=1)
        form = SettlementForm(
            request.POST or None,
            merchants=merchants,
            initial={"period_start": yesterday.replace(day=1), "period_end": yesterday},
        )
        if request.method == "POST" and form.is_valid():
            try:
                settlement = services.settlement_create(
                    merchant=form.cleaned_data["merchant"],
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    actor=request.user,
                )
            except Refused as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Settlement created."))
                return HttpResponseRedirect(
                    reverse("admin:benefits_settlement_change", args=[settlement.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("New settlement"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "benefits/admin/settlement_new.html", context)

    @action(
        description=gettext_lazy("Statement (.xlsx)"),
        url_path="statement",
        permissions=["benefits_view"],
    )
    def statement(self, request: HttpRequest, object_id: str) -> HttpResponse:
        settlement = self._settlement(request, object_id)
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action="benefits.settlement.statement",
                obj=settlement,
                org=settlement.merchant.org,
                ip=client_ip(request),
            )
        response = HttpResponse(
            services.settlement_statement_xlsx(settlement),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="settlement-{settlement.pk}-{settlement.period_end}.xlsx"'
        )
        response["Cache-Control"] = "no-store"
        return response

    @action(
        description=gettext_lazy("Mark paid"), url_path="mark-paid", permissions=["benefits_settle"]
    )
    def mark_paid(self, request: HttpRequest, object_id: str) -> HttpResponse:
        settlement = self._settlement(request, object_id)
        if not can(request.user, SETTLE, settlement.merchant.org):
            raise Http404
        back = reverse("admin:benefits_settlement_change", args=[settlement.pk])
        if request.method == "POST":
            try:
                services.settlement_mark_paid(settlement=settlement, actor=request.user)
            except Refused as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("The settlement is marked paid."))
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Mark settlement #%(id)s paid") % {"id": settlement.pk},
            "opts": self.model._meta,
            "settlement": settlement,
            "back": back,
        }
        return TemplateResponse(request, "benefits/admin/settlement_paid.html", context)
