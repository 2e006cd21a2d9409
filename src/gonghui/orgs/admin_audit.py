"""Staff console for the audit log (core.AuditEntry): read-only for everyone, scoped by org.

The model lives in core, which imports no other app; its console lives here, one floor up, and is
registered from ``orgs.admin`` so that its URLs stay ``/admin/core/auditentry/``. An entry holds
a plain ``org_id`` (no foreign key into orgs): reads are scoped through
``orgs.scoping.scope_id_q``, a subquery on the ids of the orgs in the user's scope.

Entries tied to no org (system acts such as a key rotation) are visible to superusers only:
the scope filter on ``org_id`` leaves NULL out for everybody else.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gonghui.core import labels
from gonghui.core.models import AuditEntry

from .admin_base import ScopedAdmin
from .admin_labels import LabelledAdmin, code_filter, object_link
from .models import Org


class AuditOrgFilter(admin.SimpleListFilter):
    """The orgs that appear in the entries the user may see (the old related-only filter).

    The parameter keeps the name of the foreign-key filter it replaces, so links still work."""

    title = _("Organisation")
    parameter_name = "org__id__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        seen = model_admin.get_queryset(request).exclude(org_id=None).values("org_id")
        return [(str(o.pk), str(o)) for o in Org.objects.filter(pk__in=seen).order_by("path")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(org_id=int(value))
        except (TypeError, ValueError):
            return queryset.none()


@admin.register(AuditEntry)
class AuditEntryAdmin(LabelledAdmin, ScopedAdmin):
    scope_field = "org_id"  # a bare id: ScopedAdmin scopes it with scoping.scope_id_q
    view_capability = "audit.view"
    change_capability = None
    list_display = ("at", "actor_label", "action_display", "object_display", "org_display", "ip")
    list_filter = (
        code_filter("action", _("Action"), labels.action_label),
        AuditOrgFilter,
        code_filter("object_type", _("Object type"), labels.type_name_or_code),
    )
    date_hierarchy = "at"
    search_fields = ("actor_label", "object_type", "=object_id")
    search_help_text = _("Search by actor, object type or exact object id.")
    readonly_fields = (
        "at",
        "actor_label",
        "action_display",
        "org_display",
        "object_display",
        "data",
        "ip",
    )
    fields = readonly_fields
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        # The org's name in the same query (what list_select_related did for the foreign key).
        return qs.annotate(
            org_name=Subquery(Org.objects.filter(pk=OuterRef("org_id")).values("name")[:1])
        )

    @admin.display(description=_("Action"), ordering="action")
    def action_display(self, obj: AuditEntry) -> Any:
        return labels.action_label(obj.action)

    @admin.display(description=_("Object"))
    def object_display(self, obj: AuditEntry) -> str:
        link = object_link(obj.object_type, obj.object_id)
        if obj.object_repr and link:
            return format_html("{} <span>{}</span>", link, obj.object_repr)
        return link or obj.object_repr

    @admin.display(description=_("Organisation"), ordering="org_name")
    def org_display(self, obj: AuditEntry) -> str | None:
        name = getattr(obj, "org_name", None)
        if name is None and obj.org_id is not None:
            name = Org.objects.filter(pk=obj.org_id).values_list("name", flat=True).first()
        return name  # None: the admin's empty-value mark

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
