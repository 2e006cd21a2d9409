"""Mutual-aid console: plans and their benefit categories (with ratio bands)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import (
    HttpRequest,
)
from django.utils.translation import gettext_lazy

from gonghui.core.money import format_fen
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.scoping import scope, visible_orgs

from ..models import (
    AidPlan,
    BenefitCategory,
    RatioBand,
)
from ..services import calculator


def _fen(value: int | None) -> str:
    return format_fen(int(value)) if value is not None else "—"


# --- plans and categories --------------------------------------------------------------------


class BenefitCategoryInline(admin.TabularInline):
    model = BenefitCategory
    extra = 0
    fields = ["kind", "name", "deductible_fen", "annual_cap_fen"]
    show_change_link = True


@admin.register(AidPlan)
class AidPlanAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "mutualaid.plans"
    change_capability = "mutualaid.configure"
    list_display = [
        "name",
        "year",
        "org",
        "share_price",
        "max_shares",
        "unit_share_bp",
        "enrol_from",
        "enrol_until",
        "waiting_days",
        "is_active",
    ]
    list_filter = ["year", "is_active"]
    search_fields = ["name"]
    inlines = [BenefitCategoryInline]

    @admin.display(description=gettext_lazy("Price per share"))
    def share_price(self, obj: AidPlan) -> str:
        return _fen(obj.share_price_fen)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, "mutualaid.configure")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RatioBandInline(admin.TabularInline):
    model = RatioBand
    extra = 1
    fields = ["up_to_fen", "ratio_bp"]


@admin.register(BenefitCategory)
class BenefitCategoryAdmin(ScopedAdmin):
    scope_field = "plan__org"
    view_capability = "mutualaid.plans"
    change_capability = "mutualaid.configure"
    list_display = ["__str__", "plan", "kind", "deductible", "annual_cap", "bands_text"]
    list_filter = ["kind", "plan__year"]
    list_select_related = ["plan"]
    inlines = [RatioBandInline]

    @admin.display(description=gettext_lazy("Deductible"))
    def deductible(self, obj: BenefitCategory) -> str:
        return _fen(obj.deductible_fen)

    @admin.display(description=gettext_lazy("Yearly cap per share"))
    def annual_cap(self, obj: BenefitCategory) -> str:
        return _fen(obj.annual_cap_fen)

    @admin.display(description=gettext_lazy("Ratio bands"))
    def bands_text(self, obj: BenefitCategory) -> str:
        return "; ".join(
            f"≤{_fen(b.up_to_fen) if b.up_to_fen else '∞'} {calculator.format_ratio(b.ratio_bp)}"
            for b in obj.bands.all()
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "plan":
            kwargs["queryset"] = scope(AidPlan.objects.all(), request.user, "mutualaid.configure")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- enrolment batches, invoices, enrolments -------------------------------------------------
