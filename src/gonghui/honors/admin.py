"""Staff console of the honours app: honorees, volunteer teams, volunteer services with their
volunteers. Org-scoped (``honors.view``, ``honors.manage``) and audited by ``ScopedAdmin``; a
member who serves gets a ServiceEvent when the service is saved."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import TabularInline

from gonghui.members.models import Member
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.scoping import scope, visible_orgs

from . import services
from .models import Honoree, VolunteerParticipation, VolunteerService, VolunteerTeam


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


class OrgChoiceMixin:
    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, "honors.manage")
        if db_field.name == "team":
            kwargs["queryset"] = scope(VolunteerTeam.objects.all(), request.user, "honors.manage")
        if db_field.name == "member":
            kwargs["queryset"] = scope(Member.objects.all(), request.user, "members.view")
        if db_field.name in ("leader", "honoree"):
            kwargs["queryset"] = scope(Honoree.objects.all(), request.user, "honors.view")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


@admin.register(Honoree)
class HonoreeAdmin(OrgChoiceMixin, ScopedAdmin):
    view_capability = "honors.view"
    change_capability = "honors.manage"
    list_display = ("name", "title", "level", "year", "field", "org")
    list_filter = ("level", "title", "year")
    search_fields = ("name", "field", "employer_name")
    raw_id_fields = ("member",)


@admin.register(VolunteerTeam)
class VolunteerTeamAdmin(OrgChoiceMixin, ScopedAdmin):
    view_capability = "honors.view"
    change_capability = "honors.manage"
    list_display = ("name", "leader", "org")
    search_fields = ("name",)


class ParticipationInline(OrgChoiceMixin, ParentScopedInline):
    model = VolunteerParticipation
    extra = 3
    fields = ("honoree", "member", "hours")
    raw_id_fields = ("member",)


@admin.register(VolunteerService)
class VolunteerServiceAdmin(OrgChoiceMixin, ScopedAdmin):
    scope_field = "team__org"
    view_capability = "honors.view"
    change_capability = "honors.manage"
    list_display = ("title", "team", "kind", "date", "hours", "workers_helped")
    list_filter = ("kind",)
    search_fields = ("title", "place", "team__name")
    autocomplete_fields = ("enterprises_helped",)
    inlines = [ParticipationInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.service_events_sync(service=form.instance)
