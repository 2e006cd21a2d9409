"""The checks a booking passes, and the locks it takes (venue → member → slot), shared by the
writes: opening hours and closures, overlaps, the member's limit, the booker union's scope; the
savepoint insert that turns a unique or exclusion violation into a clear refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.errors import NotFound, Refused
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

from ..models import Booking, Mode, Venue
from ..selectors import closure_on, within_hours

SHANGHAI = timeutil.SHANGHAI
MAX_RECURRING_WEEKS = 52
MAX_RANGE_HOURS = 12
LIVE = (Booking.Status.ACTIVE, Booking.Status.ATTENDED)


def entry_grace() -> dt.timedelta:
    """How early before its start a booking lets the member in."""
    return dt.timedelta(minutes=int(getattr(settings, "GONGHUI_VENUES_ENTRY_GRACE_MINUTES", 15)))


def slot_horizon_days(venue: Venue) -> int:
    """Slots are generated this many days ahead (at least the venue's booking horizon)."""
    base = int(getattr(settings, "GONGHUI_VENUES_SLOT_DAYS", 14))
    return max(base, venue.book_ahead_days + 1)


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(SHANGHAI)


def _aware(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(dt.UTC)


def _fmt(value: dt.datetime) -> str:
    return _local(value).strftime("%Y-%m-%d %H:%M")


def _time_problem(venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime) -> Refused | None:
    """Opening hours and closures: the refusal, or None."""
    closure = closure_on(venue, _local(starts_at).date())
    if closure is not None:
        return Refused(
            code="closed",
            message=_("The venue is closed on %(date)s: %(reason)s")
            % {"date": _local(starts_at).date().isoformat(), "reason": closure.reason},
            field="starts_at",
        )
    if not within_hours(venue, starts_at, ends_at):
        return Refused(
            code="outside_hours",
            message=_("%(start)s is outside the venue's opening hours.")
            % {"start": _fmt(starts_at)},
            field="starts_at",
        )
    return None


def _overlapping(
    venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime, mode: str
) -> Booking | None:
    return (
        Booking.objects.filter(
            venue=venue,
            mode=mode,
            status__in=LIVE,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .order_by("starts_at")
        .first()
    )


def _exclusive_problem(
    venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime
) -> Refused | None:
    """An exclusive booking needs the venue free of other exclusive bookings and of places taken
    in shared slots at that time."""
    other = _overlapping(venue, starts_at, ends_at, Mode.EXCLUSIVE)
    if other is not None:
        return Refused(
            code="taken",
            message=_("The venue is already booked from %(start)s to %(end)s.")
            % {"start": _fmt(other.starts_at), "end": _local(other.ends_at).strftime("%H:%M")},
            field="starts_at",
            status=409,
        )
    if _overlapping(venue, starts_at, ends_at, Mode.SHARED) is not None:
        return Refused(
            code="in_use",
            message=_("Members have booked places at the venue at %(start)s.")
            % {"start": _fmt(starts_at)},
            field="starts_at",
            status=409,
        )
    return None


def _lock_venue(venue: Venue, *, exclusive: bool) -> Venue:
    """Lock the venue row (see the module docstring); returns its fresh state."""
    if exclusive:
        return Venue.objects.select_for_update(no_key=True).get(pk=venue.pk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM venues_venue WHERE id = %s FOR SHARE", [venue.pk])
    return Venue.objects.get(pk=venue.pk)


def _lock_member(member: Member) -> None:
    Member.objects.select_for_update(no_key=True).filter(pk=member.pk).values_list(
        "pk", flat=True
    ).first()


def _member_checks(
    *, venue: Venue, member: Member, starts_at: dt.datetime, now: dt.datetime
) -> None:
    if member.status != Member.Status.ACTIVE:
        raise Refused(
            code="member_inactive",
            message=_("Only active members can book venues."),
            status=403,
        )
    last_day = timeutil.to_local(now).date() + dt.timedelta(days=venue.book_ahead_days)
    if _local(starts_at).date() > last_day:
        raise Refused(
            code="too_far_ahead",
            message=_("This venue takes bookings at most %(days)s days ahead.")
            % {"days": venue.book_ahead_days},
            field="slot",
        )


def _member_limit(*, venue: Venue, member: Member, now: dt.datetime) -> None:
    """Runs with the member row locked, so that two bookings at once cannot both pass."""
    held = Booking.objects.filter(
        venue=venue, member=member, status=Booking.Status.ACTIVE, ends_at__gt=now
    ).count()
    if held >= venue.max_active_bookings:
        raise Refused(
            code="limit_reached",
            message=_(
                "You already hold %(n)s upcoming bookings of this venue, the most allowed. "
                "Cancel one or wait until it has passed."
            )
            % {"n": held},
            status=409,
        )


def _open_venue(venue: Venue) -> None:
    if not venue.is_active:
        raise Refused(
            code="venue_closed",
            message=_("This venue does not take bookings at the moment."),
            status=409,
        )


def _not_past(starts_at: dt.datetime, now: dt.datetime) -> None:
    if starts_at <= now:
        raise Refused(
            code="past", message=_("This time has already started or passed."), field="starts_at"
        )


def _booker_org_check(*, venue: Venue, org: Org, actor: Any) -> None:
    if not can(actor, "venues.book", org):
        raise NotFound()
    if not (org.path.startswith(venue.org.path) and org.is_active):
        raise Refused(
            code="org_not_eligible",
            message=_("%(org)s is not a union served by this venue.") % {"org": org.name},
            field="org",
        )


def _insert(booking: Booking) -> Booking:
    """Insert in a savepoint: a unique or exclusion violation becomes a clear refusal."""
    try:
        with transaction.atomic():
            booking.save(force_insert=True)
    except IntegrityError as exc:
        text = str(exc)
        if "one_live_per_member_slot" in text or (
            connection.vendor == "sqlite" and "UNIQUE" in text
        ):
            raise Refused(
                code="already_booked",
                message=_("You have already booked this slot."),
                status=409,
            ) from None
        raise Refused(
            code="taken",
            message=_("The venue is already booked at this time."),
            field="starts_at",
            status=409,
        ) from None
    return booking


def _range_shape(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Refused(code="invalid", message=_("Times need a time zone."), field="starts_at")
    if ends_at <= starts_at:
        raise Refused(
            code="invalid", message=_("The end must be after the start."), field="ends_at"
        )
    if ends_at - starts_at > dt.timedelta(hours=MAX_RANGE_HOURS):
        raise Refused(
            code="invalid",
            message=_("A booking lasts at most %(hours)s hours.") % {"hours": MAX_RANGE_HOURS},
            field="ends_at",
        )
