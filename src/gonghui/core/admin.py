"""Staff console for the audit log: read-only for everyone, scoped by org.

Entries tied to no org (system acts such as a key rotation) are visible to superusers only:
the scope filter on ``org`` leaves NULL out for everybody else.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gonghui.orgs.admin_base import ScopedAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "audit.view"
    change_capability = None
    list_display = (
        "at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "org",
        "ip",
    )
    list_filter = ("action", ("org", admin.RelatedOnlyFieldListFilter), "object_type")
    date_hierarchy = "at"
    search_fields = ("actor_label", "object_type", "=object_id")
    search_help_text = _("Search by actor, object type or exact object id.")
    list_select_related = ("org",)
    readonly_fields = (
        "at",
        "actor_label",
        "action",
        "org",
        "object_type",
        "object_id",
        "object_repr",
        "data",
        "ip",
    )
    fields = readonly_fields
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
