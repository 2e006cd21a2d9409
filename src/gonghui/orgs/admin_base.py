"""The base of every console ModelAdmin: org-scoped, capability-checked, audited.

- ``get_queryset`` goes through ``orgs.scoping.scope``: staff see their orgs' subtrees only.
- An object outside the scope (or absent) answers 404, not the admin's redirect.
- Permissions come from role capabilities (``view_capability``, ``change_capability``), not from
  Django's per-model permissions.
- Every add, change and delete made in the console writes an audit entry in the same transaction
  (Django's admin wraps these views in ``transaction.atomic`` and calls the ``log_*`` hooks there).
- Sealed files (hardship files, rights cases, mutual-aid claims): ``audit_open = True`` makes every
  GET of the change page call ``record_open`` first (the app's selector or service answers 404
  when the user may not open it, else writes the audit entry of the opening); decisions live on
  extra per-object views declared by ``object_views`` (``<id>/act/``, ``<id>/document/<n>/``, ...),
  and ``act_submit`` / ``act_page`` give such a page its one shape: a refusal is a message on
  the page, success redirects back, the page is never cached.
- ``export_columns`` adds the list's .xlsx export action (``console_export``: the scoped
  selection, masked, audited).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.options import IS_POPUP_VAR
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from unfold.admin import ModelAdmin, TabularInline

from gonghui.core.audit import audit_record, client_ip
from gonghui.core.errors import Refused

from .console_export import Column, export_xlsx
from .models import Org
from .scoping import can, is_unrestricted, scope, scope_id_q


def org_of(obj: Model, scope_field: str) -> Any:
    """Follow ``scope_field`` (e.g. "org" or "member__org"; "" for an Org) to the Org.

    A field ending in ``_id`` holds the org's bare id (core's audit log): the Org is fetched."""
    if not scope_field:
        return obj
    if scope_field.endswith("_id"):
        org_id = getattr(obj, scope_field, None)
        return None if org_id is None else Org.objects.filter(pk=org_id).first()
    target: Any = obj
    for part in scope_field.split("__"):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


@dataclass(frozen=True)
class ObjectView:
    """An extra view on one object of a console: ``<object id>/<route>``, URL name
    ``<app>_<model>_<name>``. The view is called with ``object_id`` (and the route's own
    arguments). ``admin_view=False`` mounts it without the admin's login redirect (never cached):
    the view answers 404 itself, e.g. a document a signed-out visitor must not learn about."""

    name: str
    route: str
    view: Callable[..., HttpResponseBase]
    admin_view: bool = True


class ScopedAdmin(ModelAdmin):
    # The FK path to the Org that scopes a row ("" for an Org itself); a field ending in "_id"
    # holding the org's bare id, for tables below orgs without a foreign key (scoped by
    # scoping.scope_id_q); None for deployment-wide configuration that anyone holding the
    # capability at some org may see.
    scope_field: str | None = "org"
    view_capability: str = "orgs.view"
    # True where the app narrows visibility further by assignment (a case worker sees the files
    # assigned to them): the app's own tests then cover every role inside the scope.
    assignment_scoped: bool = False
    change_capability: str | None = None  # None: read-only in the console
    add_capability: str | None = None  # defaults to change_capability
    delete_capability: str | None = None  # None: never deleted from the console
    # A sealed file: opening its change page (GET) is audited by ``record_open``.
    audit_open: bool = False
    # The path converter of the object id in ``object_views`` routes ("path" like Django's own).
    object_id_converter: str = "path"
    # A list shows "N results" without a second COUNT over the whole scoped table.
    show_full_result_count = False
    # The columns of the list's .xlsx export (``console_export``); none: no export action.
    export_columns: Sequence[Column] = ()
    export_select_related: tuple[str, ...] = ()

    # --- scope ---------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        if self.scope_field is None:  # deployment-wide configuration: the capability anywhere
            qs = super().get_queryset(request)
            return qs if can(request.user, self.view_capability) else qs.none()
        if self.scope_field.endswith("_id"):
            return (
                super()
                .get_queryset(request)
                .filter(scope_id_q(request.user, self.view_capability, self.scope_field))
            )
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

    # --- the export action ----------------------------------------------------------------
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if (
            self.export_columns
            and IS_POPUP_VAR not in request.GET
            and self.has_view_permission(request)
        ):
            actions["export_xlsx"] = self.get_action(export_xlsx)
        return actions

    def export_rows(self, request: HttpRequest, queryset: QuerySet) -> Iterable[Any]:
        """The rows of the export of ``queryset`` (the scoped selection), in the list's order;
        an admin exporting other rows (the entries of the selected transactions) overrides it."""
        qs = queryset.select_related(*self.export_select_related)
        if not qs.query.order_by:
            qs = qs.order_by(*(self.get_ordering(request) or ("-pk",)))
        return qs

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

    # --- sealed files: the audited opening and the per-object "act" views ------------------
    def record_open(self, request: HttpRequest, object_id: str) -> None:
        """Audit the opening of ``object_id`` by ``request.user``; raise 404 if not visible."""
        raise NotImplementedError(f"{type(self).__name__} sets audit_open: define record_open")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if self.audit_open and request.method == "GET":
            self.record_open(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def object_views(self) -> list[ObjectView]:
        """Extra views on one object (decisions, documents); none by default."""
        return []

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        extra = [
            path(
                f"<{self.object_id_converter}:object_id>/{v.route}",
                self.admin_site.admin_view(v.view) if v.admin_view else never_cache(v.view),
                name=f"{prefix}_{v.name}",
            )
            for v in self.object_views()
        ]
        return [*extra, *super().get_urls()]

    def act_submit(
        self, request: HttpRequest, form: Any, do: Callable[[dict[str, Any]], Any]
    ) -> HttpResponse | None:
        """Run ``do(cleaned_data)`` for a bound, valid form: a refusal becomes an error message
        on the page (None is returned: render it again); success redirects back to the page."""
        if form is None or not form.is_valid():
            return None
        try:
            do(form.cleaned_data)
        except Refused as exc:
            messages.error(request, str(exc.message))
            return None
        messages.success(request, _("Done."))
        return HttpResponseRedirect(request.path)

    def act_page(
        self, request: HttpRequest, obj: Model, *, title: Any, template: str, **context: Any
    ) -> TemplateResponse:
        """The act page of ``obj`` inside the console's frame; never cached."""
        response = TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": obj,
                "title": title,
                **context,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

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
