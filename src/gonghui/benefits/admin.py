"""Staff console for merchant benefits: org-scoped through ``ScopedAdmin``, audited.

- Merchants, stores, cashiers (new cashier logins are made here), offers (with stock and the
  budget's spent/left): ``benefits.view`` to see, ``benefits.manage`` to change.
- Redemptions: read-only; "Void" asks for a reason and reverses everything (``benefits.void``).
- Settlements: "New settlement" gathers a merchant's period (``benefits.settle``); each has its
  statement (.xlsx) and "Mark paid", which writes the ledger.
Scope follows the merchant's managing union (``merchant__org``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Model
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
from gonghui.funds.models import Budget
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.models import Role, RoleAssignment
from gonghui.orgs.scoping import can, scope, visible_orgs

from . import selectors, services
from .models import Merchant, MerchantStaff, Offer, OfferKind, Payer, Redemption, Settlement, Store

VIEW = "benefits.view"
MANAGE = "benefits.manage"
VOID = "benefits.void"
SETTLE = "benefits.settle"


def _merchants(request: HttpRequest, capability: str = MANAGE) -> Any:
    return selectors.merchants_visible(user=request.user, capability=capability)


# --- merchants -------------------------------------------------------------------------------
@admin.register(Merchant)
class MerchantAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = VIEW
    change_capability = MANAGE
    list_display = ["name", "uscc", "org", "contact_name", "is_active", "payable"]
    list_filter = ["is_active"]
    search_fields = ["name", "uscc"]
    fields = [
        "name",
        "uscc",
        "org",
        "contact_name",
        "contact_phone",
        "settlement_account",
        "is_active",
    ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, MANAGE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("Owed (payable)"))
    def payable(self, obj: Merchant) -> str:
        from gonghui.funds.models import AccountKind, FundAccount

        balance = (
            FundAccount.objects.filter(
                org_id=obj.org_id,
                kind=AccountKind.MERCHANT_PAYABLE,
                party_type=services.PAYABLE_PARTY,
                party_id=str(obj.pk),
            )
            .values_list("balance_fen", flat=True)
            .first()
        )
        return format_fen(int(balance or 0))

    def save_model(self, request: HttpRequest, obj: Merchant, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.payable_account(obj)


@admin.register(Store)
class StoreAdmin(ScopedAdmin):
    scope_field = "merchant__org"
    view_capability = VIEW
    change_capability = MANAGE
    list_display = ["name", "merchant", "region_code", "address", "is_active"]
    list_filter = ["is_active", "region_code"]
    search_fields = ["name", "address", "merchant__name"]
    fields = ["merchant", "name", "address", "region_code", "lat", "lng", "is_active"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "merchant":
            kwargs["queryset"] = _merchants(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- cashiers --------------------------------------------------------------------------------
class MerchantStaffForm(forms.ModelForm):
    username = forms.CharField(
        label=gettext_lazy("Login name"),
        max_length=150,
        help_text=gettext_lazy("A new login for this cashier."),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"), widget=forms.PasswordInput, required=True
    )

    class Meta:
        model = MerchantStaff
        fields = ["merchant", "is_manager"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This login name is taken."))
        return username

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


@admin.register(MerchantStaff)
class MerchantStaffAdmin(ScopedAdmin):
    scope_field = "merchant__org"
    view_capability = VIEW
    change_capability = MANAGE
    delete_capability = MANAGE
    list_display = ["user", "merchant", "is_manager", "created_at"]
    search_fields = ["user__username", "merchant__name"]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = MerchantStaffForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return ["merchant", "username", "password", "is_manager"]
        return ["user", "merchant", "is_manager"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return ["user", "merchant"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "merchant":
            kwargs["queryset"] = _merchants(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: MerchantStaff, form: Any, change: bool) -> None:
        if not change:
            user = get_user_model().objects.create_user(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                is_staff=True,
            )
            # The role only marks the login as merchant staff: it grants no capability. What
            # the cashier operates comes from MerchantStaff (the terminals of this merchant's
            # stores, codes.selectors.terminals_operable), never from the role's org.
            RoleAssignment.objects.get_or_create(
                user=user, org=obj.merchant.org, role=Role.MERCHANT_STAFF
            )
            obj.user = user
        super().save_model(request, obj, form, change)


# --- offers ----------------------------------------------------------------------------------
class OfferForm(forms.ModelForm):
    class Meta:
        model = Offer
        fields = [
            "merchant",
            "title",
            "description",
            "kind",
            "payer",
            "is_active",
            "percent_bp",
            "max_subsidy_fen",
            "threshold_fen",
            "amount_off_fen",
            "item_name",
            "list_price_fen",
            "member_price_fen",
            "all_stores",
            "stores",
            "org",
            "gig_only",
            "valid_from",
            "valid_until",
            "time_from",
            "time_until",
            "weekdays",
            "limit_per_day",
            "limit_per_week",
            "limit_per_month",
            "stock_total",
            "budget",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, payer = data.get("kind"), data.get("payer")
        need: dict[str, list[str]] = {
            OfferKind.PERCENT: ["percent_bp"],
            OfferKind.FIXED_THRESHOLD: ["threshold_fen", "amount_off_fen"],
            OfferKind.FREE_ITEM: ["list_price_fen"],
            OfferKind.MEMBER_PRICE: ["list_price_fen", "member_price_fen"],
        }
        for name in need.get(kind or "", []):
            if data.get(name) is None:
                self.add_error(name, _("This kind of offer needs this figure."))
        for name in (
            "max_subsidy_fen",
            "threshold_fen",
            "amount_off_fen",
            "list_price_fen",
            "member_price_fen",
        ):
            value = data.get(name)
            if value is not None and (value < 0 or value > services.MAX_BILL_FEN):
                self.add_error(name, _("Between 0 and ¥100,000."))
        bp = data.get("percent_bp")
        if bp is not None and not 0 < bp <= 10000:
            self.add_error("percent_bp", _("Between 1 and 10000 basis points (100%)."))
        if (
            kind == OfferKind.FIXED_THRESHOLD
            and data.get("amount_off_fen") is not None
            and data.get("threshold_fen") is not None
            and data["amount_off_fen"] > data["threshold_fen"]
        ):
            self.add_error("amount_off_fen", _("The amount off may not exceed the threshold."))
        if (
            kind == OfferKind.MEMBER_PRICE
            and data.get("member_price_fen") is not None
            and data.get("list_price_fen") is not None
            and data["member_price_fen"] > data["list_price_fen"]
        ):
            self.add_error(
                "member_price_fen", _("The member price must not exceed the list price.")
            )
        if payer == Payer.UNION and data.get("budget") is None:
            self.add_error("budget", _("An offer paid by the union needs a budget."))
        weekdays = data.get("weekdays") or ""
        if not weekdays or any(c not in "1234567" for c in weekdays):
            self.add_error("weekdays", _("Digits 1 (Monday) to 7 (Sunday)."))
        merchant, stores = data.get("merchant"), data.get("stores")
        if merchant is not None and stores and any(s.merchant_id != merchant.pk for s in stores):
            self.add_error("stores", _("Choose stores of this merchant."))
        if not data.get("all_stores") and not stores:
            self.add_error("stores", _("Choose stores, or tick 'At all stores'."))
        frm, until = data.get("valid_from"), data.get("valid_until")
        if frm and until and until <= frm:
            self.add_error("valid_until", _("The end must come after the start."))
        return data


@admin.register(Offer)
class OfferAdmin(ScopedAdmin):
    form = OfferForm
    scope_field = "merchant__org"
    view_capability = VIEW
    change_capability = MANAGE
    list_display = [
        "title",
        "merchant",
        "kind",
        "payer",
        "stock",
        "budget_spent",
        "budget_left",
        "is_active",
    ]
    list_filter = ["kind", "payer", "is_active", "gig_only"]
    search_fields = ["title", "merchant__name"]
    filter_horizontal = ["stores"]
    readonly_fields = ["stock_left", "budget_figures"]
    fieldsets = [
        (None, {"fields": ["merchant", "title", "description", "kind", "payer", "is_active"]}),
        (
            gettext_lazy("Figures (fen)"),
            {
                "fields": [
                    "percent_bp",
                    "max_subsidy_fen",
                    "threshold_fen",
                    "amount_off_fen",
                    "item_name",
                    "list_price_fen",
                    "member_price_fen",
                ]
            },
        ),
        (
            gettext_lazy("Where and for whom"),
            {"fields": ["all_stores", "stores", "org", "gig_only"]},
        ),
        (
            gettext_lazy("When"),
            {"fields": ["valid_from", "valid_until", "time_from", "time_until", "weekdays"]},
        ),
        (
            gettext_lazy("Limits, stock and budget"),
            {
                "fields": [
                    "limit_per_day",
                    "limit_per_week",
                    "limit_per_month",
                    "stock_total",
                    "stock_left",
                    "budget",
                    "budget_figures",
                ]
            },
        ),
    ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "merchant":
            kwargs["queryset"] = _merchants(request)
        elif db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, MANAGE)
        elif db_field.name == "budget":
            kwargs["queryset"] = scope(Budget.objects.all(), request.user, MANAGE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "stores":
            kwargs["queryset"] = scope(Store.objects.all(), request.user, MANAGE, "merchant__org")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("Stock left"))
    def stock(self, obj: Offer) -> str:
        return "—" if obj.stock_total is None else f"{obj.stock_left} / {obj.stock_total}"

    @admin.display(description=gettext_lazy("Budget spent"))
    def budget_spent(self, obj: Offer) -> str:
        return format_fen(obj.budget.spent_fen) if obj.budget else "—"

    @admin.display(description=gettext_lazy("Budget left"))
    def budget_left(self, obj: Offer) -> str:
        return format_fen(obj.budget.left_fen) if obj.budget else "—"

    @admin.display(description=gettext_lazy("Budget and use"))
    def budget_figures(self, obj: Offer) -> str:
        if obj.pk is None:
            return "—"
        f = selectors.offer_budget_figures(offer=obj)
        cap = format_fen(f.cap_fen) if f.cap_fen is not None else "—"
        left = format_fen(f.left_fen) if f.left_fen is not None else "—"
        return _(
            "cap %(cap)s, spent %(spent)s, left %(left)s; %(n)d active redemptions, "
            "subsidy %(subsidy)s"
        ) % {
            "cap": cap,
            "spent": format_fen(f.spent_fen),
            "left": left,
            "n": f.redemptions,
            "subsidy": format_fen(f.subsidy_fen),
        }

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("merchant", "budget")

    def save_model(self, request: HttpRequest, obj: Offer, form: Any, change: bool) -> None:
        # stock_left moves only by conditional UPDATEs; never write it from a stale form.
        if not change:
            obj.stock_left = obj.stock_total
            super().save_model(request, obj, form, change)
            return
        fields = [f for f in form.changed_data if f not in ("stock_total", "stores")]
        if fields:
            obj.save(update_fields=fields)
        if "stock_total" in form.changed_data:
            services.offer_stock_set(offer=obj, stock_total=obj.stock_total, actor=request.user)


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
