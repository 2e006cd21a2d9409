"""Venues API (/api/v1/venues/).

- Members (session cookie, CSRF header on writes): list venues, a venue's calendar with free
  places, book a slot, cancel, my bookings.
- Staff (console session): a union books a venue exclusively, once or weekly (all or nothing),
  and venue staff cancel bookings with a reason (audited). Out of scope answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import model_validator

from gonghui.core.apiauth import staff_auth
from gonghui.core.apischema import Error
from gonghui.core.audit import client_ip
from gonghui.core.errors import NotFound, Refused
from gonghui.core.timeutil import to_local
from gonghui.members.apiauth import member_auth
from gonghui.orgs.models import Org

from . import geo, selectors, services
from .models import Booking, Slot, Venue

router = Router(tags=["venues"])


ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error, 409: Error}


class VenueOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    address: str
    region_code: str
    org: str
    capacity: int
    max_active_bookings: int
    book_ahead_days: int
    cancel_hours: int
    exclusive_by: str
    latitude: float | None = Field(None, description="WGS-84 degrees north; null if not set")
    longitude: float | None = Field(None, description="WGS-84 degrees east; null if not set")
    distance_m: int | None = Field(
        None, description="metres from ?lat=&lng= (great circle); null without them"
    )


def _venue_out(v: Venue, distance_m: float | None = None) -> dict[str, Any]:
    return {
        "latitude": float(v.latitude) if v.latitude is not None else None,
        "longitude": float(v.longitude) if v.longitude is not None else None,
        "distance_m": round(distance_m) if distance_m is not None else None,
        "id": v.pk,
        "name": v.name,
        "kind": v.kind,
        "kind_label": str(v.get_kind_display()),
        "address": v.address,
        "region_code": v.region_code,
        "org": v.org.name,
        "capacity": v.capacity,
        "max_active_bookings": v.max_active_bookings,
        "book_ahead_days": v.book_ahead_days,
        "cancel_hours": v.cancel_hours,
        "exclusive_by": v.exclusive_by,
    }


class SlotOut(Schema):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: str
    capacity: int
    free: int
    state: str
    my_booking: int | None = None


class DayOut(Schema):
    date: dt.date
    closed_reason: str
    slots: list[SlotOut]


class BookingOut(Schema):
    id: int
    venue_id: int
    venue: str
    slot_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: str
    status: str
    status_label: str
    booker: str
    purpose: str
    recurrence_group: str | None


def _booking_out(b: Booking) -> dict[str, Any]:
    return {
        "id": b.pk,
        "venue_id": b.venue_id,
        "venue": b.venue.name,
        "slot_id": b.slot_id,
        "starts_at": to_local(b.starts_at),
        "ends_at": to_local(b.ends_at),
        "mode": b.mode,
        "status": b.status,
        "status_label": str(b.get_status_display()),
        "booker": b.booker_label,
        "purpose": b.purpose,
        "recurrence_group": str(b.recurrence_group) if b.recurrence_group else None,
    }


class VenueFilter(Schema):
    kind: Venue.Kind | None = None
    region: str | None = Field(default=None, pattern=r"^\d{6}$")
    lat: float | None = Field(
        default=None, ge=-90, le=90, allow_inf_nan=False, description="your latitude (not stored)"
    )
    lng: float | None = Field(
        default=None, ge=-180, le=180, allow_inf_nan=False, description="your longitude"
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> VenueFilter:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("give lat and lng together")
        return self


class BookIn(Schema):
    slot_id: int = Field(..., ge=1)


class CancelIn(Schema):
    reason: str = Field(default="", max_length=200)


class UnionBookIn(Schema):
    org_id: int = Field(..., ge=1, description="the booking union (in the venue's subtree)")
    starts_at: dt.datetime = Field(..., description="with a time zone, e.g. +08:00")
    ends_at: dt.datetime
    weeks: int = Field(default=1, ge=1, le=services.MAX_RECURRING_WEEKS)
    purpose: str = Field(default="", max_length=200)


# --- member endpoints --------------------------------------------------------------------------


@router.get("/", auth=member_auth, response=list[VenueOut])
def venue_list(request: HttpRequest, filters: Query[VenueFilter]) -> list[dict[str, Any]]:
    """Active venues; those in the member's region first. With ``lat`` and ``lng`` (the member's
    position, used for this answer only): nearest first with ``distance_m``, venues without
    coordinates last."""
    qs = selectors.venues_for_member(
        member=request.auth,  # type: ignore[attr-defined]
        region=filters.region or "",
        kind=filters.kind or "",
    )
    venues = list(qs[:200])
    if filters.lat is None or filters.lng is None:
        return [_venue_out(v) for v in venues]
    origin = geo.Point(filters.lat, filters.lng)
    return [_venue_out(v, m) for v, m in geo.by_distance(venues, origin)]


def _member_venue(venue_id: int) -> Venue:
    venue = (
        Venue.objects.select_related("org")
        .filter(pk=venue_id, is_active=True, org__is_active=True)
        .first()
    )
    if venue is None:
        raise NotFound(_("No such venue."))
    return venue


@router.get("/{int:venue_id}/calendar", auth=member_auth, response={200: list[DayOut], 404: Error})
def venue_calendar(
    request: HttpRequest, venue_id: int, days: int = Query(7, ge=1, le=selectors.MAX_CALENDAR_DAYS)
) -> list[dict[str, Any]]:
    """The next days with every slot's free places and its state for the member."""
    venue = _member_venue(venue_id)
    out = []
    for day in selectors.calendar(venue=venue, member=request.auth, days=days):  # type: ignore[attr-defined]
        out.append(
            {
                "date": day.date,
                "closed_reason": day.closed_reason,
                "slots": [
                    {
                        "id": s.slot.pk,
                        "starts_at": s.starts_local,
                        "ends_at": s.ends_local,
                        "mode": s.slot.mode,
                        "capacity": s.slot.capacity,
                        "free": s.free,
                        "state": s.state,
                        "my_booking": s.my_booking.pk if s.my_booking else None,
                    }
                    for s in day.slots
                ],
            }
        )
    return out


@router.post("/bookings", auth=member_auth, response={201: BookingOut, **ERRORS})
def booking_create(request: HttpRequest, data: BookIn) -> Status:
    """Book a place in a slot (or the whole room, where members may book exclusively)."""
    slot = (
        Slot.objects.select_related("venue__org")
        .filter(pk=data.slot_id, venue__is_active=True, venue__org__is_active=True)
        .first()
    )
    if slot is None:
        raise NotFound(_("No such slot."), field="slot_id")
    booking = services.booking_create(slot=slot, member=request.auth)  # type: ignore[attr-defined]
    return Status(201, _booking_out(booking))


@router.get("/bookings/mine", auth=member_auth, response=list[BookingOut])
def my_bookings(request: HttpRequest) -> list[dict[str, Any]]:
    return [_booking_out(b) for b in selectors.bookings_of_member(request.auth)[:200]]  # type: ignore[attr-defined]


@router.post(
    "/bookings/{int:booking_id}/cancel", auth=member_auth, response={200: BookingOut, **ERRORS}
)
def booking_cancel(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    """Cancel one's own booking until the venue's deadline; the place is freed."""
    member = request.auth  # type: ignore[attr-defined]
    booking = Booking.objects.select_related("venue").filter(pk=booking_id, member=member).first()
    if booking is None:
        raise NotFound(_("No such booking."))
    return _booking_out(services.booking_cancel(booking=booking, member=member))


# --- staff endpoints ---------------------------------------------------------------------------


@router.post(
    "/{int:venue_id}/union-bookings", auth=staff_auth, response={201: list[BookingOut], **ERRORS}
)
def union_booking_create(request: HttpRequest, venue_id: int, data: UnionBookIn) -> Status:
    """A union books the venue exclusively, once (``weeks`` = 1) or weekly, all or nothing."""
    user = request.auth  # type: ignore[attr-defined]
    # Venues are public (members see them all); the union must be in the user's scope
    # (``venues.book``, checked by the service: 404 otherwise) and served by the venue.
    venue = Venue.objects.select_related("org").filter(pk=venue_id, org__is_active=True).first()
    if venue is None:
        raise NotFound(_("No such venue."))
    org = Org.objects.filter(pk=data.org_id).first()
    if org is None:
        raise NotFound(_("No such union."), field="org_id")
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise Refused(code="invalid", message=_("Times need a time zone."), field="starts_at")
    if data.weeks == 1:
        bookings = [
            services.booking_create(
                venue=venue,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                org=org,
                actor=user,
                purpose=data.purpose,
                ip=client_ip(request),
            )
        ]
    else:
        bookings = services.booking_create_recurring(
            venue=venue,
            org=org,
            actor=user,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            weeks=data.weeks,
            purpose=data.purpose,
            ip=client_ip(request),
        )
    return Status(201, [_booking_out(b) for b in bookings])


@router.post(
    "/staff/bookings/{int:booking_id}/cancel",
    auth=staff_auth,
    response={200: BookingOut, **ERRORS},
)
def staff_booking_cancel(request: HttpRequest, booking_id: int, data: CancelIn) -> dict[str, Any]:
    """Venue staff cancel any active booking with a reason; a union's admins cancel the union's
    bookings until the deadline. Audited."""
    booking = (
        Booking.objects.select_related("venue__org", "booker_org").filter(pk=booking_id).first()
    )
    if booking is None:
        raise NotFound(_("No such booking."))
    return _booking_out(
        services.booking_cancel(
            booking=booking,
            actor=request.auth,  # type: ignore[attr-defined]
            reason=data.reason,
            ip=client_ip(request),
        )
    )
