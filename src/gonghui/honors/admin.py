"""Staff console of the honours app: honorees, volunteer teams, volunteer services with their
volunteers. Org-scoped (``honors.view``, ``honors.manage``) and audited by ``ScopedAdmin``; a
member who serves gets a ServiceEvent when the service is saved.

A volunteer service can run as an activity (``members.attendance``): "Run as a new activity"
creates a volunteer activity with one session, "Link a volunteer activity" picks one the staff
member may run (out of scope: 404). Its volunteers and hours then come from check-ins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.audit import client_ip
from gonghui.core.errors import NotFound, Refused
from gonghui.members.models import Member
from gonghui.orgs.admin_base import ParentScopedInline, ScopedAdmin
from gonghui.orgs.scoping import scope, visible_orgs

from . import selectors, services
from .models import Honoree, VolunteerParticipation, VolunteerService, VolunteerTeam


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
    fields = ("honoree", "member", "hours", "via")
    readonly_fields = ("via",)
    raw_id_fields = ("member",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # a service run as an activity lists those who checked in, nobody typed in
        if obj is not None and obj.runs_as_activity:
            return False
        return super().has_add_permission(request, obj)

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return 0 if obj is not None and obj.runs_as_activity else self.extra


class ActivityCreateForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=gettext_lazy("The session lasts the service's hours per volunteer."),
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200)
    capacity = forms.IntegerField(
        label=gettext_lazy("Number of places"), min_value=1, max_value=100_000
    )


class ActivityLinkForm(forms.Form):
    # an integer, not a ChoiceField: an activity out of scope must answer 404, not "invalid"
    activity = forms.IntegerField(label=gettext_lazy("Volunteer activity"), widget=forms.Select)


@admin.register(VolunteerService)
class VolunteerServiceAdmin(OrgChoiceMixin, ScopedAdmin):
    scope_field = "team__org"
    view_capability = "honors.view"
    change_capability = "honors.manage"
    list_display = ("title", "team", "kind", "date", "hours", "workers_helped", "as_activity")
    list_filter = ("kind",)
    search_fields = ("title", "place", "team__name")
    autocomplete_fields = ("enterprises_helped",)
    readonly_fields = ("activity",)
    inlines = [ParticipationInline]
    actions = ["recount_hours"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.service_events_sync(service=form.instance)

    @admin.display(description=gettext_lazy("Runs as an activity"), boolean=True)
    def as_activity(self, obj: VolunteerService) -> bool:
        return obj.runs_as_activity

    @admin.display(description=gettext_lazy("Activity"))
    def activity(self, obj: VolunteerService) -> Any:
        if obj.pk is None:
            return _("Save the service first.")
        thing = selectors.service_activity(obj)
        if thing is not None:
            try:
                url = reverse(f"admin:{thing.source.replace('.', '_')}_change", args=[thing.id])
            except NoReverseMatch:
                url = thing.member_url
            return format_html(
                '<a class="underline" href="{}" data-testid="linked-activity">{}</a> — {}',
                url,
                thing.label,
                _("volunteers and hours come from its check-ins"),
            )
        if obj.runs_as_activity:
            return _("The linked activity no longer exists.")
        return format_html(
            '<a class="underline" href="{}" data-testid="activity-create">{}</a> · '
            '<a class="underline" href="{}" data-testid="activity-link">{}</a>',
            reverse("admin:honors_volunteerservice_activity_create", args=[obj.pk]),
            _("Run as a new activity (members register and check in)"),
            reverse("admin:honors_volunteerservice_activity_link", args=[obj.pk]),
            _("Link a volunteer activity"),
        )

    @admin.action(description=gettext_lazy("Recount volunteers and hours from check-ins"))
    def recount_hours(self, request: HttpRequest, queryset: QuerySet) -> None:
        n = 0
        for service in queryset.filter(activity_ref__isnull=False):
            if self.has_change_permission(request, service):
                n += services.service_attendance_sync(service=service)
        messages.success(request, _("%(n)s volunteer(s) counted from check-ins.") % {"n": n})

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:pk>/activity/create/",
                self.admin_site.admin_view(self.activity_create_view),
                name="honors_volunteerservice_activity_create",
            ),
            path(
                "<int:pk>/activity/link/",
                self.admin_site.admin_view(self.activity_link_view),
                name="honors_volunteerservice_activity_link",
            ),
        ]
        return extra + super().get_urls()

    def _service(self, request: HttpRequest, pk: int) -> VolunteerService:
        service = self.get_queryset(request).select_related("team__org").filter(pk=pk).first()
        if service is None or not self.has_change_permission(request, service):
            raise Http404
        return service

    def _form_page(
        self, request: HttpRequest, service: VolunteerService, form: forms.Form, title: str
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "service": service,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/honors/activity_form.html", context)

    def _done(self, service: VolunteerService) -> HttpResponse:
        return HttpResponseRedirect(
            reverse("admin:honors_volunteerservice_change", args=[service.pk])
        )

    def _attempt(
        self,
        request: HttpRequest,
        service: VolunteerService,
        form: forms.Form,
        call: Callable[[], Any],
        success: Callable[[Any], str],
    ) -> HttpResponse | None:
        """Run the service call of a valid form: out of scope is 404, a refusal goes back to the
        form, a success is announced and leads back to the volunteer service."""
        try:
            thing = call()
        except NotFound:
            raise Http404 from None
        except Refused as exc:
            form.add_error(None, str(exc.message))
            return None
        messages.success(request, success(thing))
        return self._done(service)

    def activity_create_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = self._service(request, pk)
        form = ActivityCreateForm(
            request.POST or None, initial={"place": service.place, "capacity": 30}
        )
        if request.method == "POST" and form.is_valid():
            starts_at = form.cleaned_data["starts_at"]
            if timezone.is_naive(starts_at):  # pragma: no cover - USE_TZ makes it aware
                starts_at = timezone.make_aware(starts_at)
            done = self._attempt(
                request,
                service,
                form,
                lambda: services.volunteer_service_activity_create(
                    actor=request.user,
                    service=service,
                    starts_at=starts_at.astimezone(dt.UTC),
                    place=form.cleaned_data["place"],
                    capacity=form.cleaned_data["capacity"],
                    ip=client_ip(request),
                ),
                lambda thing: (
                    _("The activity %(title)s is open for registration.") % {"title": thing.title}
                ),
            )
            if done is not None:
                return done
        return self._form_page(request, service, form, _("Run as a new activity"))

    def activity_link_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = self._service(request, pk)
        form = ActivityLinkForm(request.POST or None)
        form.fields["activity"].widget.choices = [  # type: ignore[attr-defined]
            (t.id, t.label) for t in selectors.linkable_activities(request.user)
        ]
        if request.method == "POST" and form.is_valid():
            done = self._attempt(
                request,
                service,
                form,
                lambda: services.volunteer_service_activity_link(
                    actor=request.user,
                    service=service,
                    activity_id=form.cleaned_data["activity"],
                    ip=client_ip(request),
                ),
                lambda thing: (
                    _("The service runs as the activity %(title)s.") % {"title": thing.title}
                ),
            )
            if done is not None:
                return done
        return self._form_page(request, service, form, _("Link a volunteer activity"))
