"""Staff console for venues: venues with their hours, closures and slot templates (and a
"generate slots" action), slots, bookings (cancel with a reason, audited) and today's entries.
Org-scoped through ``ScopedAdmin``; out of scope answers 404."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import TabularInline
from unfold.decorators import action

from gonghui.core import timeutil
from gonghui.core.audit import audit_record, client_ip
from gonghui.core.errors import Refused
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can, get_in_scope_or_404, scope_q, visible_orgs

from . import services
from .models import Booking, Closure, Entry, OpeningHours, Slot, SlotTemplate, Venue


class _VenuePartInline(TabularInline):
    """Hours, closures and templates are edited with their venue (``venues.manage`` there)."""

    extra = 0

    def _may(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return can(request.user, "venues.manage")
        return can(request.user, "venues.manage", obj.org)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return can(request.user, "venues.view")
        return can(request.user, "venues.view", obj.org)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)


class OpeningHoursInline(_VenuePartInline):
    model = OpeningHours
    fields = ["weekday", "opens", "closes"]


class ClosureInline(_VenuePartInline):
    model = Closure
    fields = ["starts_on", "ends_on", "reason"]


class SlotTemplateInline(_VenuePartInline):
    model = SlotTemplate
    fields = ["weekday", "start", "end", "mode", "capacity", "is_active"]


@admin.register(Venue)
class VenueAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "venues.view"
    change_capability = "venues.manage"
    list_display = ["name", "kind", "org", "region_code", "capacity", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "address"]
    inlines = [OpeningHoursInline, ClosureInline, SlotTemplateInline]
    actions = ["generate_slots"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "org",
                    "name",
                    "kind",
                    "address",
                    ("latitude", "longitude"),
                    "region_code",
                    "capacity",
                    "description",
                    "is_active",
                ]
            },
        ),
        (
            gettext_lazy("Booking rules"),
            {"fields": ["max_active_bookings", "book_ahead_days", "cancel_hours", "exclusive_by"]},
        ),
    ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, "venues.manage")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description=gettext_lazy("Generate slots ahead from the templates"))
    def generate_slots(self, request: HttpRequest, queryset: QuerySet[Venue]) -> None:
        venues = [v for v in queryset if can(request.user, "venues.manage", v.org)]
        with transaction.atomic():
            created = services.slots_generate(venues=venues)
            for venue in venues:
                audit_record(
                    actor=request.user,
                    action="venues.venue.generate_slots",
                    obj=venue,
                    org=venue.org,
                    data={"created_total": created},
                    ip=client_ip(request),
                )
        self.message_user(
            request,
            _("%(n)s slots created for %(v)s venues.") % {"n": created, "v": len(venues)},
            messages.SUCCESS,
        )


@admin.register(Slot)
class SlotAdmin(ScopedAdmin):
    scope_field = "venue__org"
    view_capability = "venues.view"
    list_display = ["venue", "starts_at", "ends_at", "mode", "capacity", "places_left"]
    list_filter = ["mode", "venue__kind"]
    search_fields = ["venue__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["venue"]


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class UnionBookingForm(forms.Form):
    """A union books a venue exclusively: once, or weekly for up to 52 weeks (all or nothing)."""

    org = forms.ModelChoiceField(label=gettext_lazy("Booking union"), queryset=Org.objects.none())
    venue = forms.ModelChoiceField(label=gettext_lazy("Venue"), queryset=Venue.objects.none())
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start = forms.TimeField(
        label=gettext_lazy("Start"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(label=gettext_lazy("End"), widget=forms.TimeInput(attrs={"type": "time"}))
    weeks = forms.IntegerField(
        label=gettext_lazy("Weeks"),
        min_value=1,
        max_value=services.MAX_RECURRING_WEEKS,
        initial=1,
        help_text=gettext_lazy(
            "1 books once; more books the same time every week, all or nothing."
        ),
    )
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        orgs = list(visible_orgs(user, "venues.book").filter(is_active=True).order_by("path")[:500])
        org_field = cast(forms.ModelChoiceField, self.fields["org"])
        org_field.queryset = visible_orgs(user, "venues.book").filter(is_active=True)
        # Venues run by one of these unions or by an org above them.
        venues = Venue.objects.filter(is_active=True).select_related("org")
        reachable = [v.pk for v in venues if any(o.path.startswith(v.org.path) for o in orgs)]
        venue_field = cast(forms.ModelChoiceField, self.fields["venue"])
        venue_field.queryset = Venue.objects.filter(pk__in=reachable).order_by("name")


@admin.register(Booking)
class BookingAdmin(ScopedAdmin):
    scope_field = "venue__org"
    view_capability = "venues.view"
    list_display = ["venue", "starts_at", "ends_at", "mode", "booker", "status", "created_at"]
    list_filter = ["status", "mode", "venue__kind"]
    search_fields = ["venue__name", "member__name", "member__member_no", "booker_org__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["venue", "member", "booker_org"]
    readonly_fields = ["tools"]
    actions_list = ["book_for_union"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Venue staff see their venues' bookings; a union's admins also see the union's own
        # bookings of venues run above them.
        user = request.user
        return (
            Booking.objects.select_related("venue", "member", "booker_org")
            .filter(
                scope_q(user, "venues.view", "venue__org")
                | scope_q(user, "venues.book", "booker_org")
            )
            .order_by("-starts_at", "-pk")
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if super().has_view_permission(request, obj):
            return True
        if obj is None:
            return can(request.user, "venues.book")
        return obj.booker_org is not None and can(request.user, "venues.book", obj.booker_org)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or can(request.user, "venues.book")

    def has_venues_book_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "venues.book")

    @action(
        description=gettext_lazy("Book for a union"),
        url_path="book-for-union",
        permissions=["venues_book"],
    )
    def book_for_union(self, request: HttpRequest) -> HttpResponse:
        form = UnionBookingForm(request.POST or None, user=request.user)
        conflicts: list[dict[str, str]] = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            starts = dt.datetime.combine(data["date"], data["start"], tzinfo=timeutil.SHANGHAI)
            ends = dt.datetime.combine(data["date"], data["end"], tzinfo=timeutil.SHANGHAI)
            try:
                if data["weeks"] == 1:
                    made = [
                        services.booking_create(
                            venue=data["venue"],
                            starts_at=starts.astimezone(dt.UTC),
                            ends_at=ends.astimezone(dt.UTC),
                            org=data["org"],
                            actor=request.user,
                            purpose=data["purpose"],
                            ip=client_ip(request),
                        )
                    ]
                else:
                    made = services.booking_create_recurring(
                        venue=data["venue"],
                        org=data["org"],
                        actor=request.user,
                        starts_at=starts.astimezone(dt.UTC),
                        ends_at=ends.astimezone(dt.UTC),
                        weeks=data["weeks"],
                        purpose=data["purpose"],
                        ip=client_ip(request),
                    )
            except Refused as exc:
                form.add_error(None, str(exc.message))
                conflicts = exc.data.get("conflicts", [])
            else:
                self.message_user(
                    request,
                    _("%(n)s bookings made.") % {"n": len(made)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:venues_booking_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Book for a union"),
            "form": form,
            "conflicts": conflicts,
        }
        return TemplateResponse(request, "admin/venues/union_booking.html", context)

    @admin.display(description=gettext_lazy("Booker"))
    def booker(self, obj: Booking) -> str:
        return obj.booker_label

    @admin.display(description=gettext_lazy("Tools"))
    def tools(self, obj: Booking) -> str:
        if obj.pk is None or obj.status != Booking.Status.ACTIVE:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:venues_booking_cancel", args=[obj.pk]),
            _("Cancel this booking"),
        )

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="venues_booking_cancel",
            )
        ]
        return own + super().get_urls()

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        booking = get_in_scope_or_404(
            Booking.objects.select_related("venue__org", "booker_org", "member"),
            request.user,
            "venues.view",
            "venue__org",
            pk=object_id,
        )
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.booking_cancel(
                    booking=booking,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    ip=client_ip(request),
                )
            except Refused as exc:
                form.add_error("reason" if exc.field == "reason" else None, str(exc.message))
            else:
                self.message_user(request, _("The booking is cancelled."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:venues_booking_change", args=[booking.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Cancel a booking"),
            "booking": booking,
            "form": form,
        }
        return TemplateResponse(request, "admin/venues/booking_cancel.html", context)


class DayFilter(admin.SimpleListFilter):
    title = gettext_lazy("Day")
    parameter_name = "day"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("today", gettext_lazy("Today")), ("all", gettext_lazy("All"))]

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "today") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "all":
            return queryset
        today = timeutil.local_today()
        start = dt.datetime.combine(today, dt.time.min, tzinfo=timeutil.SHANGHAI)
        return queryset.filter(entered_at__gte=start)


@admin.register(Entry)
class EntryAdmin(ScopedAdmin):
    """Entries, today's by default."""

    scope_field = "venue__org"
    view_capability = "venues.view"
    list_display = ["entered_at", "venue", "member", "booking"]
    list_filter = [DayFilter, "venue__kind"]
    search_fields = ["venue__name", "member__name", "member__member_no"]
    list_select_related = ["venue", "member", "booking"]
