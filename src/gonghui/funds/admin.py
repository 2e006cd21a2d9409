"""Staff console for the funds ledger: org-scoped, mostly read-only, audited.

- Accounts: balances; federation admins (``funds.manage``) open accounts and may rename or
  close one; balances never change here. "Check the ledger" recomputes balances from entries.
  "Statement" shows an account's period statement.
- Transactions: read-only, with their entries inline. Corrections are reversals, made by the
  services of the app that booked them.
- Budgets: cap, spent, left and a bar; ``funds.manage`` creates them and may change the name,
  cap (never below spent), window and state. ``spent`` only moves through budget_take/release.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.admin import TabularInline
from unfold.decorators import action

from gonghui.core.errors import Refused
from gonghui.core.forms import YuanField
from gonghui.core.money import format_fen
from gonghui.core.timeutil import SHANGHAI, local_today
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.admin_labels import LabelledAdmin, code_filter, object_link
from gonghui.orgs.console_export import Column, Yuan
from gonghui.orgs.scoping import can, scope, visible_orgs

from . import ledgerkinds, selectors
from .models import (
    Budget,
    FundAccount,
    LedgerEntry,
    LedgerTransaction,
    normal_side_of,
)
from .services import account_open, account_update, budget_create, budget_update

VIEW = "funds.view"
MANAGE = "funds.manage"


# --- accounts --------------------------------------------------------------------------------
class FundAccountForm(forms.ModelForm):
    class Meta:
        model = FundAccount
        fields = ("org", "kind", "name", "party_type", "party_id", "allow_negative", "is_active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("party_type")) != bool(data.get("party_id")):
            raise forms.ValidationError(_("Give both the counterparty type and id, or neither."))
        return data


class StatementPeriodForm(forms.Form):
    start = forms.DateField(
        label=pgettext_lazy("statement period", "From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end of the period is before its start."))
            if (end - start).days >= 366:
                raise forms.ValidationError(_("A statement covers at most 366 days."))
        return data


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


@admin.register(FundAccount)
class FundAccountAdmin(ScopedAdmin):
    view_capability = VIEW
    change_capability = MANAGE
    form = FundAccountForm
    list_display = ("name", "org", "kind", "normal_side", "balance", "allow_negative", "is_active")
    list_filter = ("kind", "is_active", "allow_negative")
    search_fields = ("name", "org__name", "=party_id")
    list_select_related = ("org",)
    ordering = ("org__path", "kind", "name")
    actions_list = ["check_ledger"]
    actions_detail = ["statement"]

    @admin.display(description=_("Balance"), ordering="balance_fen")
    def balance(self, obj: FundAccount) -> str:
        return format_fen(obj.balance_fen)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return ()
        return (
            "org",
            "kind",
            "party_type",
            "party_id",
            "normal_side",
            "allow_negative",
            "balance",
            "created_at",
        )

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return ("org", "kind", "name", "party_type", "party_id", "allow_negative")
        return (
            "org",
            "kind",
            "name",
            "party_type",
            "party_id",
            "normal_side",
            "allow_negative",
            "balance",
            "is_active",
            "created_at",
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, MANAGE).order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"allow_negative": False, **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: FundAccount, form: Any, change: bool) -> None:
        # Writes go through the services; the console's own hooks write the audit entry.
        if change:
            account_update(account=obj, actor=None, name=obj.name, is_active=obj.is_active)
            return
        if not can(request.user, MANAGE, obj.org):
            raise PermissionError("org outside the user's scope")  # the form's choices prevent it
        created = account_open(
            org=obj.org,
            kind=obj.kind,
            party=(obj.party_type, obj.party_id) if obj.party_type else None,
            name=obj.name,
            allow_negative=obj.allow_negative,
        )
        obj.pk = created.pk
        obj.normal_side = normal_side_of(obj.kind)
        obj.allow_negative = created.allow_negative
        obj.created_at = created.created_at
        obj._state.adding = False
        obj._state.db = created._state.db

    # --- custom pages ------------------------------------------------------------------------
    def has_funds_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, VIEW)

    @action(description=_("Check the ledger"), url_path="check-ledger", permissions=["funds_view"])
    def check_ledger(self, request: HttpRequest) -> HttpResponse:
        accounts = self.get_queryset(request)
        result = selectors.ledger_verify(accounts=accounts)
        names = dict(accounts.values_list("pk", "name"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Ledger check"),
            "opts": self.model._meta,
            "result": result,
            "negative_names": [names.get(pk, pk) for pk in result.negative_accounts],
        }
        return TemplateResponse(request, "funds/admin/ledger_check.html", context)

    @action(description=_("Statement"), url_path="statement", permissions=["funds_view"])
    def statement(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = get_object_or_404(self.get_queryset(request), pk=object_id)
        today = local_today()
        form = StatementPeriodForm(request.GET or {"start": today.replace(day=1), "end": today})
        statement = None
        if form.is_valid():
            statement = selectors.account_statement(
                account=account,
                start=_local_midnight(form.cleaned_data["start"]),
                end=_local_midnight(form.cleaned_data["end"] + dt.timedelta(days=1)),
                limit=1000,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Statement of %(account)s") % {"account": account},
            "opts": self.model._meta,
            "account": account,
            "form": form,
            "statement": statement,
        }
        return TemplateResponse(request, "funds/admin/statement.html", context)


# --- transactions ----------------------------------------------------------------------------
class LedgerEntryInline(TabularInline):
    model = LedgerEntry
    fields = ("account", "debit", "credit")
    readonly_fields = ("account", "debit", "credit")
    extra = 0
    can_delete = False
    show_change_link = False

    @admin.display(description=_("Debit"))
    def debit(self, obj: LedgerEntry) -> str:
        return format_fen(obj.debit_fen) if obj.debit_fen else ""

    @admin.display(description=_("Credit"))
    def credit(self, obj: LedgerEntry) -> str:
        return format_fen(obj.credit_fen) if obj.credit_fen else ""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("account")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, VIEW)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(LabelledAdmin, ScopedAdmin):
    view_capability = VIEW
    change_capability = None  # append-only: never changed in the console
    inlines = [LedgerEntryInline]
    list_display = (
        "id",
        "occurred_at",
        "kind_label",
        "org",
        "amount",
        "memo",
        "source",
        "reverses",
    )
    list_filter = (code_filter("kind", _("Kind"), ledgerkinds.label_for),)
    search_fields = ("=id", "memo", "=source_id")
    list_select_related = ("org",)
    ordering = ("-occurred_at", "-id")
    date_hierarchy = "occurred_at"
    # The export has one row per entry of the selected transactions (export_rows).
    export_columns = (
        Column(_("Transaction no."), "transaction_id"),
        Column(_("Occurred at"), "transaction.occurred_at"),
        Column(_("Kind"), lambda e: str(ledgerkinds.label_for(e.transaction.kind))),
        Column(_("Organisation"), "transaction.org.name"),
        Column(_("Memo"), "transaction.memo"),
        Column(_("Account"), "account.name"),
        Column(_("Account kind"), "account.get_kind_display"),
        Yuan(_("Debit (yuan)"), "debit_fen"),
        Yuan(_("Credit (yuan)"), "credit_fen"),
        Column(_("Reverses"), "transaction.reverses_id"),
    )
    fields = (
        "org",
        "kind_label",
        "memo",
        "occurred_at",
        "created_by",
        "source",
        "reverses",
        "reversed_by_link",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(debits_fen=Sum("entries__amount_fen", filter=Q(entries__amount_fen__gt=0)))
        )

    def export_rows(self, request: HttpRequest, queryset: QuerySet) -> Any:
        return (
            LedgerEntry.objects.filter(transaction__in=queryset.values("pk"))
            .select_related("transaction", "transaction__org", "account")
            .order_by("-transaction__occurred_at", "-transaction_id", "id")
        )

    @admin.display(description=_("Amount"), ordering="debits_fen")
    def amount(self, obj: LedgerTransaction) -> str:
        return format_fen(int(getattr(obj, "debits_fen", 0) or 0))

    @admin.display(description=_("Kind"), ordering="kind")
    def kind_label(self, obj: LedgerTransaction) -> Any:
        return ledgerkinds.label_for(obj.kind)

    @admin.display(description=_("Source"))
    def source(self, obj: LedgerTransaction) -> str:
        return object_link(obj.source_type, obj.source_id) if obj.source_type else ""

    @admin.display(description=_("Reversed by"))
    def reversed_by_link(self, obj: LedgerTransaction) -> str:
        reversal = LedgerTransaction.objects.filter(reverses=obj).only("pk").first()
        return f"#{reversal.pk}" if reversal is not None else ""


# --- budgets ---------------------------------------------------------------------------------
class BudgetForm(forms.ModelForm):
    cap_yuan = YuanField(
        label=_("Cap (yuan)"), max_length=20, help_text=_("For example 5000 or 1234.50")
    )

    class Meta:
        model = Budget
        fields = (
            "org",
            "name",
            "scope_kind",
            "source_type",
            "source_id",
            "account",
            "valid_from",
            "valid_until",
            "is_active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields[
                "cap_yuan"
            ].initial = f"{self.instance.cap_fen // 100}.{self.instance.cap_fen % 100:02d}"

    def clean_cap_yuan(self) -> int:
        cap: int = self.cleaned_data["cap_yuan"]
        if self.instance.pk is not None and cap < self.instance.spent_fen:
            raise forms.ValidationError(
                _("The cap may not be below what is already spent (%(spent)s)."),
                params={"spent": format_fen(self.instance.spent_fen)},
            )
        return cap

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("source_type")) != bool(data.get("source_id")):
            raise forms.ValidationError(_("Give both the source type and id, or neither."))
        if "cap_yuan" in data:  # the model's constraints are validated against it next
            self.instance.cap_fen = data["cap_yuan"]
        org, account = data.get("org"), data.get("account")
        if (
            org is not None
            and account is not None
            and org.deployment_path != account.org.deployment_path
        ):
            self.add_error("account", _("A budget must draw on an account of the same federation."))
        return data


@admin.register(Budget)
class BudgetAdmin(ScopedAdmin):
    view_capability = VIEW
    change_capability = MANAGE
    form = BudgetForm
    list_display = (
        "name",
        "org",
        "scope_kind",
        "account",
        "cap",
        "spent",
        "left",
        "bar",
        "valid_from",
        "valid_until",
        "is_active",
    )
    list_filter = ("scope_kind", "is_active")
    search_fields = ("name", "org__name", "=source_id")
    # The account's name reads its org: fetched with the row, not once per row.
    list_select_related = ("org", "account", "account__org")
    ordering = ("org__path", "name")

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return (
                "org",
                "name",
                "scope_kind",
                "source_type",
                "source_id",
                "account",
                "cap_yuan",
                "valid_from",
                "valid_until",
            )
        return (
            "org",
            "name",
            "scope_kind",
            "source_type",
            "source_id",
            "account",
            "cap_yuan",
            "spent",
            "left",
            "bar",
            "valid_from",
            "valid_until",
            "is_active",
            "created_at",
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fixed = ("spent", "left", "bar", "created_at")
        if obj is None:
            return fixed
        return ("org", "scope_kind", "source_type", "source_id", "account", *fixed)

    @admin.display(description=_("Cap"), ordering="cap_fen")
    def cap(self, obj: Budget) -> str:
        return format_fen(obj.cap_fen)

    @admin.display(description=_("Spent"), ordering="spent_fen")
    def spent(self, obj: Budget) -> str:
        return format_fen(obj.spent_fen)

    @admin.display(description=_("Left"))
    def left(self, obj: Budget) -> str:
        return format_fen(obj.left_fen)

    @admin.display(description=_("Used"))
    def bar(self, obj: Budget) -> str:
        if obj.pk is None:
            return ""
        percent = (obj.spent_fen * 100 // obj.cap_fen) if obj.cap_fen else 100
        return format_html(
            '<meter min="0" max="{}" value="{}" high="{}" title="{}%">{}%</meter> {}%',
            max(obj.cap_fen, 1),
            obj.spent_fen,
            max(obj.cap_fen, 1) * 9 // 10,
            percent,
            percent,
            percent,
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, MANAGE).order_by("path")
        elif db_field.name == "account":
            kwargs["queryset"] = (
                scope(FundAccount.objects.select_related("org"), request.user, MANAGE)
                .filter(is_active=True)
                .order_by("org__path", "kind", "name")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Budget, form: Any, change: bool) -> None:
        # Writes go through the services (which never write spent_fen from a stale form);
        # the console's own hooks write the audit entry.
        try:
            if change:
                budget_update(
                    budget=obj,
                    actor=None,
                    name=obj.name,
                    cap_fen=obj.cap_fen,
                    valid_from=obj.valid_from,
                    valid_until=obj.valid_until,
                    is_active=obj.is_active,
                )
                return
            if not can(request.user, MANAGE, obj.org):
                raise PermissionError(
                    "org outside the user's scope"
                )  # the form's choices prevent it
            created = budget_create(
                org=obj.org,
                name=obj.name,
                account=obj.account,
                cap_fen=obj.cap_fen,
                scope_kind=obj.scope_kind,
                source=(obj.source_type, obj.source_id) if obj.source_type else None,
                valid_from=obj.valid_from,
                valid_until=obj.valid_until,
            )
        except Refused as exc:
            # A race with a concurrent take (e.g. the cap fell below spent meanwhile).
            messages.error(request, str(exc.message))
            request._funds_refused = True  # type: ignore[attr-defined]
            if not change:
                raise
            return
        obj.pk = created.pk
        obj.spent_fen = created.spent_fen
        obj.created_at = created.created_at
        obj._state.adding = False
        obj._state.db = created._state.db

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        if getattr(request, "_funds_refused", False):
            return None
        return super().log_change(request, obj, message)
