"""Staff console for activities: activities and sessions (create, edit), applications (review),
draws (commit, run, publish), attendee lists (.xlsx) and the live check-in page with a gate.
Org-scoped through ``ScopedAdmin``; every write goes through the services (audited)."""

from __future__ import annotations

import io
import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.codes import dispatch
from gonghui.core import timeutil
from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.funds.models import Budget
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.console_export import Column, Yuan, member_columns
from gonghui.orgs.scoping import can, scope, visible_orgs

from . import selectors, services
from .models import Activity, CheckIn, Draw, Registration, Session

POSTER_MAX_BYTES = 2 * 1024 * 1024
POSTER_MAGIC = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"))


def poster_kind(head: bytes) -> str | None:
    """The extension of an accepted image type from its first bytes (JPEG, PNG, WebP)."""
    for magic, ext in POSTER_MAGIC:
        if head.startswith(magic):
            return ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    return None


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = [
            "org",
            "kind",
            "title",
            "description",
            "poster",
            "allocation",
            "region_code",
            "registration_opens",
            "registration_closes",
            "is_published",
            "audience_org",
            "audience",
            "gender",
            "min_age",
            "max_age",
            "child_min_age",
            "child_max_age",
            "limit_per_year",
            "cancel_hours_before",
            "subsidy_fen",
            "subsidy_budget",
        ]

    def clean_poster(self) -> Any:
        f = self.cleaned_data.get("poster")
        if not isinstance(f, UploadedFile):  # unchanged (already stored) or cleared
            return f
        if (f.size or 0) > POSTER_MAX_BYTES:
            raise forms.ValidationError(_("The poster may be at most 2 MB."))
        head = f.read(16)
        f.seek(0)
        ext = poster_kind(head)
        if ext is None:
            raise forms.ValidationError(_("The poster must be a JPEG, PNG or WebP image."))
        f.name = f"{uuid.uuid4().hex}{ext}"
        return f

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("registration_opens"), data.get("registration_closes")
        if opens and closes and closes <= opens:
            self.add_error("registration_closes", _("Registration closes after it opens."))
        if data.get("subsidy_fen") and not data.get("subsidy_budget"):
            self.add_error("subsidy_budget", _("A subsidy needs a budget."))
        lo, hi = data.get("min_age"), data.get("max_age")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("max_age", _("The maximum age is below the minimum."))
        return data


@admin.register(Activity)
class ActivityAdmin(ScopedAdmin):
    form = ActivityForm
    scope_field = "org"
    view_capability = "activities.view"
    change_capability = "activities.manage"
    list_display = ["title", "kind", "allocation", "org", "registration_opens", "is_published"]
    list_filter = ["kind", "allocation", "is_published"]
    search_fields = ["title"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in ("org", "audience_org"):
            kwargs["queryset"] = visible_orgs(request.user, "activities.manage")
        if db_field.name == "subsidy_budget":
            kwargs["queryset"] = scope(Budget.objects.all(), request.user, "activities.manage")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["activity", "starts_at", "ends_at", "place", "capacity", "waitlist_enabled"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        s, e = data.get("starts_at"), data.get("ends_at")
        if s and e and e <= s:
            self.add_error("ends_at", _("A session ends after it starts."))
        if self.instance.pk and data.get("capacity") is not None:
            held = self.instance.capacity - self.instance.places_left
            if data["capacity"] < held:
                self.add_error("capacity", _("%(held)s places are already taken.") % {"held": held})
        return data


@admin.register(Session)
class SessionAdmin(ScopedAdmin):
    form = SessionForm
    scope_field = "activity__org"
    view_capability = "activities.view"
    change_capability = "activities.manage"
    list_display = [
        "__str__",
        "place",
        "capacity",
        "places_left",
        "waitlist_counter",
        "checkin_link",
    ]
    list_filter = ["activity__kind"]
    list_select_related = ["activity"]  # the session's name starts with its activity's title
    search_fields = ["activity__title", "place"]
    readonly_fields = ["places_left", "waitlist_counter", "attendance_closed_at"]
    actions = [
        "approve_by_priority",
        "draw_commit",
        "draw_run",
        "draw_publish",
        "close_attendance",
    ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "activity":
            kwargs["queryset"] = scope(Activity.objects.all(), request.user, "activities.manage")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Session, form: Any, change: bool) -> None:
        if not change:
            obj.places_left = obj.capacity
        else:
            old = Session.objects.select_for_update().get(pk=obj.pk)
            obj.places_left = obj.capacity - (old.capacity - old.places_left)
            obj.waitlist_counter = old.waitlist_counter
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("Check-in"))
    def checkin_link(self, obj: Session) -> str:
        url = reverse("admin:activities_session_checkin", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Live check-in"))

    def _each(self, request: HttpRequest, queryset: QuerySet, fn: Any, done: str) -> None:
        ok = 0
        for session in queryset.select_related("activity", "activity__org"):
            try:
                fn(actor=request.user, session=session, ip=client_ip(request))
                ok += 1
            except Refused as exc:
                messages.error(request, f"{session}: {exc.message}")
        if ok:
            messages.success(request, done % {"n": ok})

    @admin.action(description=gettext_lazy("Approve applications by priority"))
    def approve_by_priority(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            services.applications_approve_by_priority,
            _("Reviewed %(n)s session(s) by priority."),
        )

    @admin.action(description=gettext_lazy("Commit a draw (before registration opens)"))
    def draw_commit(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, services.draw_commit, _("Committed %(n)s draw(s)."))

    @admin.action(description=gettext_lazy("Run the draw (after registration closes)"))
    def draw_run(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, services.draw_run, _("Ran %(n)s draw(s)."))

    @admin.action(description=gettext_lazy("Publish the draw"))
    def draw_publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, services.draw_publish, _("Published %(n)s draw(s)."))

    @admin.action(description=gettext_lazy("Close attendance (record no-shows)"))
    def close_attendance(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            services.attendance_close,
            _("Closed attendance of %(n)s session(s)."),
        )

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:pk>/checkin/",
                self.admin_site.admin_view(self.checkin_view),
                name="activities_session_checkin",
            ),
            path(
                "<int:pk>/checkin/counts/",
                self.admin_site.admin_view(self.counts_view),
                name="activities_session_counts",
            ),
            path(
                "<int:pk>/attendees.xlsx",
                self.admin_site.admin_view(self.attendees_view),
                name="activities_session_attendees",
            ),
        ]
        return extra + super().get_urls()

    def _session(self, request: HttpRequest, pk: int, capability: str) -> Session:
        session = (
            self.get_queryset(request)
            .select_related("activity", "activity__org")
            .filter(pk=pk)
            .first()
        )
        if session is None or not can(request.user, capability, session.activity.org):
            raise Http404
        return session

    def counts_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self._session(request, pk, "activities.view")
        response = TemplateResponse(
            request,
            "admin/activities/_counts.html",
            {"counts": selectors.session_counts(session), "session": session},
        )
        response["Cache-Control"] = "no-store"
        return response

    def checkin_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The live check-in page: the count (htmx, every 2 s) and a gate that takes the member's
        code (typed or from a barcode gun) and sends it through scan dispatch."""
        session = self._session(request, pk, "activities.view")
        manage = can(request.user, "activities.manage", session.activity.org)
        result: dict[str, Any] | None = None
        status = 200
        if request.method == "POST":
            if not manage:
                raise Http404
            try:
                terminal = services.session_terminal(
                    actor=request.user, session=session, ip=client_ip(request)
                )
                scanned = dispatch.scan(
                    terminal=terminal,
                    code=request.POST.get("code", "")[:64],
                    payload={},
                    idempotency_key=request.POST.get("key", "")[:64],
                )
                result = {"ok": scanned.ok, **scanned.body}
                status = 200 if scanned.ok else scanned.status
            except Refused as exc:
                result = {"ok": False, **exc.as_dict()}
                status = exc.status
        context = {
            **self.admin_site.each_context(request),
            "title": _("Live check-in"),
            "session": session,
            "counts": selectors.session_counts(session),
            "manage": manage,
            "result": result,
            "key": uuid.uuid4().hex,
            "poster_terminals": (
                [services.session_terminal(actor=request.user, session=session, kind="spot_poster")]
                if manage and request.GET.get("poster") == "1"
                else []
            ),
            "can_posters": can(request.user, "codes.terminals", session.activity.org),
        }
        response = TemplateResponse(
            request, "admin/activities/checkin.html", context, status=status
        )
        response["Cache-Control"] = "no-store"
        return response

    def attendees_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Attendee list as .xlsx (masked phones; audited)."""
        from gonghui.core.xlsx import workbook

        session = self._session(request, pk, "activities.view")
        buf = io.BytesIO()
        wb = workbook(buf)
        ws = wb.add_worksheet("attendees")
        ws.write_row(
            0,
            0,
            [
                str(_("Registration no.")),
                str(_("Member number")),
                str(_("Full name")),
                str(_("Phone")),
                str(_("Union")),
                str(_("Status")),
                str(_("Waitlist position")),
                str(_("Walk-in")),
                str(_("Child's name")),
                str(_("Checked in at")),
            ],
        )
        rows = (
            Registration.objects.filter(session=session)
            .exclude(status=Registration.Status.CANCELLED)
            .select_related("member", "member__org", "checkin")
            .order_by("status", "position", "created_at")
        )
        n = 0
        for reg in rows:
            checkin = getattr(reg, "checkin", None)
            ws.write_row(
                n + 1,
                0,
                [
                    reg.pk,
                    reg.member.member_no,
                    reg.member.name,
                    reg.member.phone_masked,
                    reg.member.org.name,
                    str(reg.get_status_display()),
                    reg.position,
                    str(_("Yes")) if reg.walk_in else "",
                    reg.child_name,
                    timeutil.to_local(checkin.at).strftime("%Y-%m-%d %H:%M") if checkin else "",
                ],
            )
            n += 1
        services.attendees_export_audit(
            actor=request.user, session=session, rows=n, ip=client_ip(request)
        )
        wb.close()
        response = HttpResponse(
            buf.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="attendees-{session.pk}.xlsx"'
        response["Cache-Control"] = "no-store"
        return response


@admin.register(Registration)
class RegistrationAdmin(ScopedAdmin):
    scope_field = "session__activity__org"
    view_capability = "activities.view"
    change_capability = None
    list_display = [
        "id",
        "session",
        "member",
        "status",
        "position",
        "walk_in",
        "reason",
        "created_at",
    ]
    list_filter = ["status", "walk_in", "session__activity__kind"]
    search_fields = ["member__name", "member__member_no", "session__activity__title"]
    list_select_related = ["session", "session__activity", "member"]
    actions = ["approve", "reject", "cancel"]
    export_select_related = ("session", "session__activity", "member", "member__org")
    export_columns = (
        Column(gettext_lazy("Registration no."), "pk"),
        Column(gettext_lazy("Activity"), "session.activity.title"),
        Column(gettext_lazy("Starts at"), "session.starts_at"),
        Column(gettext_lazy("Place"), "session.place"),
        *member_columns(),
        Column(gettext_lazy("Union"), "member.org.name"),
        Column(gettext_lazy("Status"), "get_status_display"),
        Column(gettext_lazy("Waitlist position"), "position"),
        Column(gettext_lazy("Walk-in"), "walk_in"),
        Column(gettext_lazy("Child's name"), "child_name"),
        Yuan(gettext_lazy("Subsidy (yuan)"), "subsidy_fen"),
        Column(gettext_lazy("Registered at"), "created_at"),
    )

    def _each(self, request: HttpRequest, queryset: QuerySet, fn: Any, done: str) -> None:
        ok = 0
        for reg in queryset.select_related(
            "session", "session__activity", "session__activity__org"
        ):
            try:
                fn(reg)
                ok += 1
            except Refused as exc:
                messages.error(request, f"#{reg.pk}: {exc.message}")
        if ok:
            messages.success(request, done % {"n": ok})

    @admin.action(description=gettext_lazy("Approve the selected applications"))
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            lambda reg: services.application_review(
                actor=request.user,
                registration=reg,
                approve=True,
                reason=str(_("Approved in review")),
                ip=client_ip(request),
            ),
            _("Approved %(n)s application(s)."),
        )

    @admin.action(description=gettext_lazy("Reject the selected applications (not selected)"))
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            lambda reg: services.application_review(
                actor=request.user,
                registration=reg,
                approve=False,
                reason=str(_("Not selected in this round of review")),
                ip=client_ip(request),
            ),
            _("Rejected %(n)s application(s)."),
        )

    @admin.action(description=gettext_lazy("Cancel the selected registrations"))
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            lambda reg: services.registration_cancel(
                registration=reg,
                actor=request.user,
                reason=str(_("Cancelled by staff")),
                ip=client_ip(request),
            ),
            _("Cancelled %(n)s registration(s)."),
        )


@admin.register(Draw)
class DrawAdmin(ScopedAdmin):
    scope_field = "session__activity__org"
    view_capability = "activities.view"
    list_display = ["session", "seed_hash", "committed_at", "run_at", "published_at", "places"]
    readonly_fields = ["proof"]


@admin.register(CheckIn)
class CheckInAdmin(ScopedAdmin):
    scope_field = "session__activity__org"
    view_capability = "activities.view"
    list_display = ["session", "member", "via", "at"]
    list_filter = ["via"]
    list_select_related = ["session", "session__activity", "member"]
