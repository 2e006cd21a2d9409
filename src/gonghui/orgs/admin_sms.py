"""Staff console for the SMS outbox (core.SmsMessage): read-only, scoped by org.

Like the audit log, the model lives in core, which imports no other app, and its rows keep a
bare ``org_id``: the org of the member a notice is about (enrolment, transfer, activity, code
lockout, hardship review). Reads are scoped through ``orgs.scoping.scope_id_q`` with the
capability ``audit.view``. Messages tied to no org — sign-in codes, sent before anyone is known
— are visible to superusers (federation administrators) only. The console shows the masked
phone, never the phone, the parameters (a sign-in code) or the text.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gonghui.core.models import SmsMessage
from gonghui.core.sms.labels import error_label, provider_label, template_label

from .admin_base import ScopedAdmin
from .admin_labels import LabelledAdmin, code_filter
from .models import Org


@admin.register(SmsMessage)
class SmsMessageAdmin(LabelledAdmin, ScopedAdmin):
    scope_field = "org_id"  # a bare id: ScopedAdmin scopes it with scoping.scope_id_q
    view_capability = "audit.view"
    change_capability = None
    list_display = (
        "created_at",
        "phone_masked",
        "template_display",
        "status",
        "provider_display",
        "attempts",
        "org_display",
    )
    list_filter = (
        "status",
        code_filter("template", _("Template"), template_label),
        code_filter("provider", _("Provider"), provider_label),
    )
    date_hierarchy = "created_at"
    search_fields = ("=phone_masked", "=provider_message_id")
    search_help_text = _("Search by masked phone (e.g. 139****5678) or provider message id.")
    readonly_fields = (
        "created_at",
        "phone_masked",
        "template_display",
        "status",
        "provider_display",
        "provider_message_id",
        "attempts",
        "error_display",
        "next_attempt_at",
        "sent_at",
        "delivered_at",
        "failed_at",
        "org_display",
    )
    fields = readonly_fields
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request).defer("phone", "params", "text")
        return qs.annotate(
            org_name=Subquery(Org.objects.filter(pk=OuterRef("org_id")).values("name")[:1])
        )

    @admin.display(description=_("Template"), ordering="template")
    def template_display(self, obj: SmsMessage) -> Any:
        return template_label(obj.template)

    @admin.display(description=_("Provider"), ordering="provider")
    def provider_display(self, obj: SmsMessage) -> Any:
        return provider_label(obj.provider) if obj.provider else None

    @admin.display(description=_("Last error"))
    def error_display(self, obj: SmsMessage) -> Any:
        return error_label(obj.last_error) if obj.last_error else None

    @admin.display(description=_("Organisation"), ordering="org_name")
    def org_display(self, obj: SmsMessage) -> str | None:
        name = getattr(obj, "org_name", None)
        if name is None and obj.org_id is not None:
            name = Org.objects.filter(pk=obj.org_id).values_list("name", flat=True).first()
        return name

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
