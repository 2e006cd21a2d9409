"""The base of every console ModelAdmin: org-scoped, capability-checked, audited.

- ``get_queryset`` goes through ``orgs.scoping.scope``: staff see their orgs' subtrees only.
- An object outside the scope (or absent) answers 404, not the admin's redirect.
- Permissions come from role capabilities (``view_capability``, ``change_capability``), not from
  Django's per-model permissions.
- Every add, change and delete made in the console writes an audit entry in the same transaction
  (Django's admin wraps these views in ``transaction.atomic`` and calls the ``log_*`` hooks there).
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from unfold.admin import ModelAdmin, TabularInline

from gonghui.core.audit import audit_record, client_ip

from .scoping import can, is_unrestricted, scope


def org_of(obj: Model, scope_field: str) -> Any:
    """Follow ``scope_field`` (e.g. "org" or "member__org"; "" for an Org) to the Org."""
    if not scope_field:
        return obj
    target: Any = obj
    for part in scope_field.split("__"):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


class ScopedAdmin(ModelAdmin):
    # The FK path to the Org that scopes a row ("" for an Org itself); None for deployment-wide
    # configuration that anyone holding the capability at some org may see.
    scope_field: str | None = "org"
    view_capability: str = "orgs.view"
    # True where the app narrows visibility further by assignment (a case worker sees the files
    # assigned to them): the app's own tests then cover every role inside the scope.
    assignment_scoped: bool = False
    change_capability: str | None = None  # None: read-only in the console
    add_capability: str | None = None  # defaults to change_capability
    delete_capability: str | None = None  # None: never deleted from the console

    # --- scope ---------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        if self.scope_field is None:  # deployment-wide configuration: the capability anywhere
            qs = super().get_queryset(request)
            return qs if can(request.user, self.view_capability) else qs.none()
        return scope(
            super().get_queryset(request), request.user, self.view_capability, self.scope_field
        )

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> Any:
        raise Http404

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        # Out of scope (or absent) is 404 for everyone, before any permission check: a user
        # whose roles lack the capability must not tell "exists elsewhere" from "absent" either.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def _in_scope(self, request: HttpRequest, capability: str | None, obj: Model | None) -> bool:
        if capability is None:
            return False
        if obj is None or self.scope_field is None:
            return can(request.user, capability)
        org = org_of(obj, self.scope_field)
        if org is None:  # an object tied to no org (e.g. a system audit entry): superusers only
            return is_unrestricted(request.user)
        return can(request.user, capability, org)

    # --- permissions from capabilities ----------------------------------------------------
    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, self.view_capability)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._in_scope(request, self.view_capability, obj) or self.has_change_permission(
            request, obj
        )

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._in_scope(request, self.change_capability, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._in_scope(request, self.add_capability or self.change_capability, None)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._in_scope(request, self.delete_capability, obj)

    # --- audit every console write in the admin's own transaction -------------------------
    def _audit(self, request: HttpRequest, obj: Model, verb: str, message: Any) -> None:
        audit_record(
            actor=request.user,
            action=f"{obj._meta.label_lower}.{verb}",
            obj=obj,
            org=None if self.scope_field is None else org_of(obj, self.scope_field),
            data={"via": "console", "message": str(message)[:500]},
            ip=client_ip(request),
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        self._audit(request, obj, "create", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        self._audit(request, obj, "change", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: QuerySet) -> Any:
        for obj in queryset:
            self._audit(request, obj, "delete", "")
        return super().log_deletions(request, queryset)


class ParentScopedInline(TabularInline):
    """An editable inline whose permissions are the parent admin's (capabilities and scope),
    not Django's per-model permissions; its changes are audited with the parent's change."""

    def _parent(self) -> Any:
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._parent().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._parent().has_change_permission(request, obj) or (
            obj is None and self._parent().has_add_permission(request)
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)
