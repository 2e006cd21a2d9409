"""Member H5 pages of venues: the list (nearest first when the member shares a location), a venue's calendar with free places,
booking and cancelling, and the member's own bookings. Thin: rules live in services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core.errors import Refused
from gonghui.members.session import member_required

from . import geo, selectors, services
from .models import Booking, Slot, Venue

CALENDAR_DAYS = 7


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
@member_required
def venue_list(request: HttpRequest) -> HttpResponse:
    """Active venues; with ``?lat=…&lng=…`` (the browser's position, sent when the member taps
    「按距离排序」, never stored) nearest first with their distance. A bad position is ignored
    with a message; without one no venue claims to be near."""
    member = request.member  # type: ignore[attr-defined]
    kind = request.GET.get("kind", "")
    if kind not in Venue.Kind.values:
        kind = ""
    venues = list(selectors.venues_for_member(member=member, kind=kind)[:200])
    location_error = ""
    try:
        origin = geo.parse_point(request.GET.get("lat"), request.GET.get("lng"))
    except geo.BadLocation:
        origin = None
        location_error = _(
            "Your location could not be read, so the venues are not sorted by distance."
        )
    rows: list[dict[str, Any]]
    location_query = ""
    if origin is None:
        rows = [{"venue": v, "distance": ""} for v in venues]
    else:
        rows = [
            {"venue": v, "distance": geo.format_distance(m) if m is not None else ""}
            for v, m in geo.by_distance(venues, origin)
        ]
        location_query = urlencode({"lat": f"{origin.lat:.5f}", "lng": f"{origin.lng:.5f}"})
    context = {
        "member": member,
        "rows": rows,
        "kinds": Venue.Kind.choices,
        "kind": kind,
        "located": origin is not None,
        "location_query": location_query,
        "location_error": location_error,
    }
    return _private(render(request, "venues/list.html", context))


def _active_venue(venue_id: int) -> Venue:
    return get_object_or_404(
        Venue.objects.select_related("org"), pk=venue_id, is_active=True, org__is_active=True
    )


def _detail(
    request: HttpRequest, venue: Venue, *, error: str = "", status: int = 200
) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    days = min(max(venue.book_ahead_days + 1, 1), CALENDAR_DAYS)
    context = {
        "member": member,
        "venue": venue,
        "hours": list(venue.hours.all()),
        "days": selectors.calendar(venue=venue, member=member, days=days),
        "error": error,
    }
    return _private(render(request, "venues/detail.html", context, status=status))


@require_GET
@member_required
def venue_detail(request: HttpRequest, venue_id: int) -> HttpResponse:
    return _detail(request, _active_venue(venue_id))


@require_POST
@member_required
def book(request: HttpRequest, slot_id: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    slot = get_object_or_404(
        Slot.objects.select_related("venue__org"),
        pk=slot_id,
        venue__is_active=True,
        venue__org__is_active=True,
    )
    try:
        booking = services.booking_create(slot=slot, member=member)
    except Refused as exc:
        return _detail(request, slot.venue, error=str(exc.message), status=exc.status)
    return HttpResponseRedirect(f"{reverse('venues:mine')}?booked={booking.pk}")


@require_POST
@member_required
def cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    booking = Booking.objects.select_related("venue").filter(pk=booking_id, member=member).first()
    if booking is None:
        raise Http404
    try:
        services.booking_cancel(booking=booking, member=member)
    except Refused as exc:
        return _mine(request, error=str(exc.message), status=exc.status)
    return HttpResponseRedirect(f"{reverse('venues:mine')}?cancelled={booking.pk}")


def _mine(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    bookings = list(selectors.bookings_of_member(member)[:100])
    booked = request.GET.get("booked", "")
    context = {
        "member": member,
        "bookings": bookings,
        "error": error,
        "booked": int(booked) if booked.isdigit() else None,
        "cancelled": request.GET.get("cancelled", "").isdigit(),
    }
    return _private(render(request, "venues/mine.html", context, status=status))


@require_GET
@member_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    return _mine(request)
