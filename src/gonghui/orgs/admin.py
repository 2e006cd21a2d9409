"""Staff console for the union tree, enterprises and role assignments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gonghui.core.identifiers import (
    InvalidIdentifier,
    identifier_message,
    normalize_uscc,
    validate_uscc,
)

from .admin_base import ScopedAdmin
from .models import Enterprise, Org, Role, RoleAssignment
from .scoping import can, is_unrestricted, scope_q, visible_orgs
from .services import org_create

ORG_FIELDS = (
    "name",
    "code",
    "kind",
    "trade",
    "region_code",
    "uscc",
    "contact_name",
    "contact_phone",
    "address",
    "is_active",
)


def _clean_uscc(value: str, *, required: bool) -> str:
    value = normalize_uscc(value or "")
    if not value and not required:
        return ""
    try:
        return validate_uscc(value)
    except InvalidIdentifier as exc:
        raise forms.ValidationError(
            _("Invalid unified social credit code: %(reason)s"),
            params={"reason": identifier_message(exc)},
            code=exc.code,
        ) from None


# --- organisations -------------------------------------------------------------------------
class OrgForm(forms.ModelForm):
    class Meta:
        model = Org
        fields = ORG_FIELDS

    def clean_uscc(self) -> str:
        return _clean_uscc(self.cleaned_data.get("uscc", ""), required=False)


def org_add_form(base: type[forms.ModelForm], parents: QuerySet, *, required: bool) -> type:
    """The add form: ``base`` plus a parent chosen among ``parents`` (a fresh field per request)."""

    class OrgAddForm(base):  # type: ignore[valid-type,misc]
        parent = forms.ModelChoiceField(
            label=_("Parent organisation"), queryset=parents, required=required
        )

        def clean_parent(self) -> Org | None:
            parent = self.cleaned_data.get("parent")
            if parent is not None and parent.kind == Org.Kind.GRASSROOTS:
                raise forms.ValidationError(
                    _("A grassroots union cannot have member organisations.")
                )
            return parent

    return OrgAddForm


@admin.register(Org)
class OrgAdmin(ScopedAdmin):
    scope_field = ""
    view_capability = "orgs.view"
    change_capability = "orgs.manage"
    form = OrgForm
    list_display = ("tree_name", "code", "kind", "trade", "region_code", "is_active")
    list_filter = ("kind", "trade", "is_active")
    search_fields = ("name", "=code")
    ordering = ("path",)
    readonly_fields = ("created_at",)

    @admin.display(description=_("Name"), ordering="path")
    def tree_name(self, obj: Org) -> str:
        indent = max(obj.depth - 1, 0) * 1.5
        return format_html('<span style="padding-left: {}rem">{}</span>', indent, obj.name)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return ("parent", *ORG_FIELDS)
        return (*ORG_FIELDS, "created_at")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["fields"] = ORG_FIELDS  # "parent" is not a model field: added below
        form = super().get_form(request, obj, change=change, **kwargs)
        parents = visible_orgs(request.user, "orgs.manage").order_by("path")
        # Only a superuser may found a new root federation.
        return org_add_form(form, parents, required=not is_unrestricted(request.user))

    def save_model(self, request: HttpRequest, obj: Org, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        parent = form.cleaned_data.get("parent")
        if parent is not None and not can(request.user, "orgs.manage", parent):
            raise PermissionError(
                "parent outside the user's scope"
            )  # the form's choices prevent it
        # Adds go through the service (treebeard paths). The console's own audit hook
        # (log_addition) writes the audit entry, so the service is not given an actor.
        created = org_create(parent=parent, **{f: getattr(obj, f) for f in ORG_FIELDS})
        for attr in ("pk", "path", "depth", "numchild", "created_at"):
            setattr(obj, attr, getattr(created, attr))
        obj._state.adding = False
        obj._state.db = created._state.db


# --- enterprises ---------------------------------------------------------------------------
class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = (
            "name",
            "uscc",
            "industry",
            "size",
            "is_above_scale",
            "union",
            "region_code",
            "address",
            "contact_name",
            "contact_phone",
        )

    def clean_uscc(self) -> str:
        return _clean_uscc(self.cleaned_data.get("uscc", ""), required=True)


@admin.register(Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    scope_field = "union"
    view_capability = "enterprises.view"
    change_capability = "enterprises.manage"
    form = EnterpriseForm
    list_display = ("name", "uscc", "industry", "size", "is_above_scale", "union")
    list_filter = ("size", "is_above_scale", ("union", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "=uscc")
    search_help_text = _("Search by name, or by the exact unified social credit code.")
    list_select_related = ("union",)
    readonly_fields = ("created_at",)
    ordering = ("name", "pk")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> Any:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(name__icontains=term) | Q(uscc=normalize_uscc(term))), False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "union":
            kwargs["queryset"] = (
                visible_orgs(request.user, "enterprises.manage")
                .filter(kind__in=[Org.Kind.GRASSROOTS, Org.Kind.INDUSTRY])
                .order_by("path")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- role assignments ----------------------------------------------------------------------
class RoleAssignmentForm(forms.ModelForm):
    request_user: Any = None

    class Meta:
        model = RoleAssignment
        fields = ("user", "org", "role")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        org = data.get("org") or getattr(self.instance, "org", None)
        role = data.get("role")
        # Granting a federation-admin role needs the federation-admin power at that org:
        # a union admin cannot raise anyone (or themselves) above their own role.
        if (
            role == Role.FEDERATION_ADMIN
            and org is not None
            and not can(self.request_user, "orgs.manage", org)
        ):
            raise forms.ValidationError(
                _("Only a federation administrator can grant this role here.")
            )
        return data


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "orgs.staff"
    change_capability = "orgs.staff"
    delete_capability = "orgs.staff"
    form = RoleAssignmentForm
    list_display = ("user", "role", "org", "created_at")
    list_filter = ("role", ("org", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "org__name")
    list_select_related = ("user", "org")
    ordering = ("org__path", "user__username")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return ("user", "org") if obj is not None else ()

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user
        return form

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, "orgs.staff").order_by("path")
        elif db_field.name == "user":
            users = get_user_model().objects.filter(
                is_active=True, is_staff=True, is_superuser=False
            )
            if not is_unrestricted(request.user):
                # Staff not yet holding any role, or holding one inside this admin's scope;
                # never the names of staff who work only in other trees.
                in_scope = RoleAssignment.objects.filter(
                    scope_q(request.user, "orgs.staff", "org")
                ).values("user")
                users = users.filter(
                    Q(role_assignments__isnull=True) | Q(pk__in=in_scope)
                ).distinct()
            kwargs["queryset"] = users.order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# The consoles of the audit log (core.AuditEntry) and of the SMS outbox (core.SmsMessage) are
# registered here: core imports no other app.
from . import admin_audit, admin_sms  # noqa: E402, F401
