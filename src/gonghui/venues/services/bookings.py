"""Bookings: a member's place or exclusive booking, a union's one-off or weekly exclusive
booking (all or nothing), cancellations (one, or a weekly series), no-shows."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.members.models import Member
from gonghui.members.services import service_event_compensate, service_event_record
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

from ..models import Booking, Mode, Slot, Venue
from .rules import (
    LIVE,
    MAX_RECURRING_WEEKS,
    _aware,
    _booker_org_check,
    _exclusive_problem,
    _fmt,
    _insert,
    _local,
    _lock_member,
    _lock_venue,
    _member_checks,
    _member_limit,
    _not_past,
    _open_venue,
    _overlapping,
    _range_shape,
    _time_problem,
)


def booking_create(
    *,
    slot: Slot | None = None,
    venue: Venue | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    member: Member | None = None,
    org: Org | None = None,
    actor: Any = None,
    purpose: str = "",
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Book a slot (``slot``) or, exclusively, a time range (``venue``, ``starts_at``, ``ends_at``).

    The booker is a ``member`` (a place in a shared slot, or an exclusive slot or range where the
    venue lets members book exclusively) or a union ``org`` booking through a staff ``actor``
    holding ``venues.book`` there (always exclusive; audited)."""
    now = now or timeutil.now()
    if (member is None) == (org is None):
        raise Refused(code="invalid", message=_("A booking has one booker: a member or a union."))
    if slot is not None:
        venue = slot.venue
    if org is not None and venue is not None:
        # Scope first: out of scope is 404 whatever else is wrong with the request.
        _booker_org_check(venue=venue, org=org, actor=actor)
    if slot is not None:
        starts_at, ends_at, mode = slot.starts_at, slot.ends_at, slot.mode
    else:
        if venue is None or starts_at is None or ends_at is None:
            raise Refused(code="required", message=_("Choose a slot or a time."), field="starts_at")
        mode = Mode.EXCLUSIVE
        _range_shape(starts_at, ends_at)
    assert venue is not None and starts_at is not None and ends_at is not None
    if org is not None and mode != Mode.EXCLUSIVE:
        raise Refused(
            code="union_shared",
            message=_("A union books a venue exclusively; members book places themselves."),
            field="slot",
        )
    with transaction.atomic():
        venue = _lock_venue(venue, exclusive=mode == Mode.EXCLUSIVE)
        _open_venue(venue)
        _not_past(starts_at, now)
        problem = _time_problem(venue, starts_at, ends_at)
        if problem is not None:
            raise problem
        if member is not None:
            _member_checks(venue=venue, member=member, starts_at=starts_at, now=now)
            if mode == Mode.EXCLUSIVE and venue.exclusive_by != Venue.ExclusiveBy.MEMBERS:
                raise Refused(
                    code="exclusive_unions_only",
                    message=_("Only unions can book this venue exclusively."),
                    field="slot",
                )
            _lock_member(member)
            if (
                slot is not None
                and Booking.objects.filter(slot=slot, member=member, status__in=LIVE).exists()
            ):
                raise Refused(
                    code="already_booked",
                    message=_("You have already booked this slot."),
                    status=409,
                )
            _member_limit(venue=venue, member=member, now=now)
        if mode == Mode.EXCLUSIVE:
            problem = _exclusive_problem(venue, starts_at, ends_at)
        else:
            exclusive = _overlapping(venue, starts_at, ends_at, Mode.EXCLUSIVE)
            problem = (
                Refused(
                    code="taken",
                    message=_("The venue is booked exclusively at this time."),
                    status=409,
                )
                if exclusive is not None
                else None
            )
        if problem is not None:
            raise problem
        if slot is not None:
            taken = Slot.objects.filter(pk=slot.pk, places_left__gte=1).update(
                places_left=F("places_left") - 1
            )
            if taken != 1:
                raise Refused(
                    code="full",
                    message=_("This slot is fully booked."),
                    field="slot",
                    status=409,
                )
        booking = _insert(
            Booking(
                venue=venue,
                slot=slot,
                starts_at=starts_at,
                ends_at=ends_at,
                mode=mode,
                member=member,
                booker_org=org,
                purpose=purpose.strip()[:200],
                created_by=actor if is_staff_actor(actor) else None,
            )
        )
        if member is not None:
            service_event_record(
                member=member, kind="venues.booking", source=booking, occurred_at=now
            )
        else:
            audit_record(
                actor=actor,
                action="venues.booking.create",
                obj=booking,
                org=venue.org,
                data={"booker_org": org.pk if org else None, "starts_at": _fmt(starts_at)},
                ip=ip,
            )
    return booking


def booking_create_recurring(
    *,
    venue: Venue,
    org: Org,
    actor: Any,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    weeks: int,
    purpose: str = "",
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> list[Booking]:
    """A union books ``venue`` exclusively at the same local time every week for ``weeks`` weeks.

    All or nothing: when any week is not free (closed, outside hours, already booked), nothing is
    booked and the refusal names every such date (``data["conflicts"]``)."""
    now = now or timeutil.now()
    # Scope first: out of scope is 404 whatever else is wrong with the request.
    _booker_org_check(venue=venue, org=org, actor=actor)
    if not isinstance(weeks, int) or not 1 <= weeks <= MAX_RECURRING_WEEKS:
        raise Refused(
            code="invalid",
            message=_("Book 1 to %(max)s weeks.") % {"max": MAX_RECURRING_WEEKS},
            field="weeks",
        )
    _range_shape(starts_at, ends_at)
    start_local, end_local = _local(starts_at), _local(ends_at)
    occurrences = [
        (
            _aware(start_local.date() + dt.timedelta(weeks=k), start_local.time()),
            _aware(end_local.date() + dt.timedelta(weeks=k), end_local.time()),
        )
        for k in range(weeks)
    ]
    group = uuid.uuid4()
    with transaction.atomic():
        venue = _lock_venue(venue, exclusive=True)
        _open_venue(venue)
        conflicts: list[dict[str, str]] = []
        for s, e in occurrences:
            problem: Refused | None = None
            if s <= now:
                problem = Refused(code="past", message=_("already started or passed"))
            problem = problem or _time_problem(venue, s, e) or _exclusive_problem(venue, s, e)
            if problem is not None:
                conflicts.append(
                    {
                        "date": _local(s).date().isoformat(),
                        "code": problem.code,
                        "reason": str(problem.message),
                    }
                )
        if conflicts:
            raise Refused(
                code="recurring_conflict",
                message=_("Nothing was booked: these dates are not free: %(dates)s")
                % {"dates": ", ".join(c["date"] for c in conflicts)},
                field="starts_at",
                status=409,
                data={"conflicts": conflicts},
            )
        bookings = [
            _insert(
                Booking(
                    venue=venue,
                    starts_at=s,
                    ends_at=e,
                    mode=Mode.EXCLUSIVE,
                    booker_org=org,
                    purpose=purpose.strip()[:200],
                    recurrence_group=group,
                    created_by=actor if is_staff_actor(actor) else None,
                )
            )
            for s, e in occurrences
        ]
        audit_record(
            actor=actor,
            action="venues.booking.create_recurring",
            obj=bookings[0],
            org=venue.org,
            data={
                "booker_org": org.pk,
                "weeks": weeks,
                "group": str(group),
                "first": _fmt(occurrences[0][0]),
            },
            ip=ip,
        )
    return bookings


def _cancel_allowed(
    *, booking: Booking, member: Member | None, actor: Any, reason: str, now: dt.datetime
) -> None:
    venue = booking.venue
    deadline = booking.starts_at - dt.timedelta(hours=venue.cancel_hours)
    if member is not None:
        if booking.member_id != member.pk:
            raise NotFound()
        if now > deadline:
            raise Refused(
                code="too_late",
                message=_(
                    "Bookings of this venue can be cancelled until %(hours)s hours before the start."
                )
                % {"hours": venue.cancel_hours},
                status=409,
            )
        return
    if can(actor, "venues.manage", venue.org):
        if not reason.strip():
            raise Refused(
                code="required", message=_("Give a reason for the cancellation."), field="reason"
            )
        return
    if booking.booker_org is not None and can(actor, "venues.book", booking.booker_org):
        if now > deadline:
            raise Refused(
                code="too_late",
                message=_(
                    "Bookings of this venue can be cancelled until %(hours)s hours before the start."
                )
                % {"hours": venue.cancel_hours},
                status=409,
            )
        return
    raise NotFound()


def booking_cancel(
    *,
    booking: Booking,
    member: Member | None = None,
    actor: Any = None,
    reason: str = "",
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Cancel a booking and free its place.

    A member cancels their own booking until the venue's deadline. Venue staff
    (``venues.manage``) cancel any active booking with a reason; a union's admins cancel the
    union's bookings until the deadline. Staff cancellations are audited."""
    now = now or timeutil.now()
    if (member is None) == (actor is None):
        raise Refused(code="invalid", message=_("Cancel as a member or as staff."))
    _cancel_allowed(booking=booking, member=member, actor=actor, reason=reason, now=now)
    reason = reason.strip()[:200]
    with transaction.atomic():
        changed = Booking.objects.filter(pk=booking.pk, status=Booking.Status.ACTIVE).update(
            status=Booking.Status.CANCELLED, cancelled_at=now, cancel_reason=reason
        )
        if changed != 1:
            raise Refused(
                code="not_active",
                message=_("This booking is no longer active."),
                status=409,
            )
        if booking.slot_id is not None:
            Slot.objects.filter(pk=booking.slot_id, places_left__lt=F("capacity")).update(
                places_left=F("places_left") + 1
            )
        if booking.member_id is not None:
            service_event_compensate(
                kind="venues.booking_cancelled", source=booking, occurred_at=now
            )
        if actor is not None:
            audit_record(
                actor=actor,
                action="venues.booking.cancel",
                obj=booking,
                org=booking.venue.org,
                data={"reason": reason, "booker": booking.booker_label},
                ip=ip,
            )
    booking.refresh_from_db()
    return booking


def booking_cancel_series(
    *,
    group: uuid.UUID,
    actor: Any,
    reason: str = "",
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Cancel the upcoming active bookings of a weekly series (staff). Returns how many."""
    now = now or timeutil.now()
    count = 0
    with transaction.atomic():
        for booking in (
            Booking.objects.select_related("venue__org", "booker_org")
            .filter(recurrence_group=group, status=Booking.Status.ACTIVE, starts_at__gt=now)
            .order_by("starts_at")
        ):
            booking_cancel(booking=booking, actor=actor, reason=reason, ip=ip, now=now)
            count += 1
    return count


def no_shows_mark(*, now: dt.datetime | None = None) -> int:
    """Bookings still active after their end become no-shows. Returns how many."""
    now = now or timeutil.now()
    with transaction.atomic():
        return Booking.objects.filter(status=Booking.Status.ACTIVE, ends_at__lte=now).update(
            status=Booking.Status.NO_SHOW
        )
