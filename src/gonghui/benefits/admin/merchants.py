"""Benefits console: merchants, their stores and cashiers (new cashier logins are made here).
``benefits.view`` to see, ``benefits.manage`` to change; scope follows the merchant's union."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db.models import CharField, Model, OuterRef, Subquery
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.money import format_fen
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.models import Role, RoleAssignment
from gonghui.orgs.scoping import visible_orgs

from .. import selectors, services
from ..models import Merchant, MerchantStaff, Store

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

    def get_queryset(self, request: HttpRequest) -> Any:
        # The payable balance comes with the row (one subquery), not one query per merchant.
        from gonghui.funds.models import AccountKind, FundAccount

        balance = FundAccount.objects.filter(
            org_id=OuterRef("org_id"),
            kind=AccountKind.MERCHANT_PAYABLE,
            party_type=services.PAYABLE_PARTY,
            party_id=Cast(OuterRef("pk"), output_field=CharField()),
        ).values("balance_fen")[:1]
        return super().get_queryset(request).annotate(payable_fen=Subquery(balance))

    @admin.display(description=gettext_lazy("Owed (payable)"))
    def payable(self, obj: Merchant) -> str:
        return format_fen(int(getattr(obj, "payable_fen", None) or 0))

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
