"""Benefits console: offers, with their stock and the budget's spent/left."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.money import format_fen
from gonghui.funds.models import Budget
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.scoping import scope, visible_orgs

from .. import selectors, services
from ..models import Offer, OfferKind, Payer, Store
from .merchants import MANAGE, VIEW, _merchants


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
