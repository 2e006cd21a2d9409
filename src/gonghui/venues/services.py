"""Writes of the venues app: slot generation, bookings, cancellations, entries, no-shows.

Every write is one transaction and refuses with ``core.errors.Refused`` (nothing changed).
Locks are always taken in one order: venue → member → slot.

- A shared place: the venue row ``FOR SHARE`` (shared bookings do not block each other, an
  exclusive booking of an overlapping time waits), the member row (per-member limit), then one
  conditional UPDATE of ``places_left`` (backed by a CHECK constraint).
- An exclusive booking: the venue row ``FOR NO KEY UPDATE`` (one exclusive booking of a venue at
  a time), overlap checks for a clear refusal, and on PostgreSQL the EXCLUSION constraint behind
  them. On SQLite (``transaction_mode = IMMEDIATE``) writers are serialised already.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.members.models import Member
from gonghui.members.services import service_event_record
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

from .models import Booking, Closure, Entry, Mode, OpeningHours, Slot, SlotTemplate, Venue

SHANGHAI = timeutil.SHANGHAI
MAX_RECURRING_WEEKS = 52
MAX_RANGE_HOURS = 12
LIVE = (Booking.Status.ACTIVE, Booking.Status.ATTENDED)


def entry_grace() -> dt.timedelta:
    """How early before its start a booking lets the member in."""
    return dt.timedelta(minutes=settings.GONGHUI_VENUES_ENTRY_GRACE_MINUTES)


def slot_horizon_days(venue: Venue) -> int:
    """Slots are generated this many days ahead (at least the venue's booking horizon)."""
    base = settings.GONGHUI_VENUES_SLOT_DAYS
    return max(base, venue.book_ahead_days + 1)


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(SHANGHAI)


def _aware(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(dt.UTC)


def _fmt(value: dt.datetime) -> str:
    return _local(value).strftime("%Y-%m-%d %H:%M")


# --- rules -------------------------------------------------------------------------------------


def closure_on(venue: Venue, day: dt.date) -> Closure | None:
    return Closure.objects.filter(venue=venue, starts_on__lte=day, ends_on__gte=day).first()


def within_hours(venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """Does [starts_at, ends_at) lie inside one opening window of its (local) day?"""
    start, end = _local(starts_at), _local(ends_at)
    if start.date() != end.date():
        return False
    return OpeningHours.objects.filter(
        venue=venue, weekday=start.weekday(), opens__lte=start.time(), closes__gte=end.time()
    ).exists()


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


# --- bookings ----------------------------------------------------------------------------------


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
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
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
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
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


# --- slots -------------------------------------------------------------------------------------


def slots_generate(
    *, venues: Iterable[Venue] | None = None, today: dt.date | None = None, days: int | None = None
) -> int:
    """Create the slots of every active template for the coming days (idempotent; closed days
    are skipped). Returns the number of slots created."""
    today = today or timeutil.local_today()
    targets = list(venues) if venues is not None else list(Venue.objects.filter(is_active=True))
    created = 0
    for venue in targets:
        horizon = days if days is not None else slot_horizon_days(venue)
        templates = list(SlotTemplate.objects.filter(venue=venue, is_active=True))
        if not templates:
            continue
        closures = list(Closure.objects.filter(venue=venue, ends_on__gte=today))
        wanted: list[Slot] = []
        for offset in range(horizon):
            day = today + dt.timedelta(days=offset)
            if any(c.starts_on <= day <= c.ends_on for c in closures):
                continue
            for t in templates:
                if t.weekday != day.weekday():
                    continue
                capacity = t.capacity if t.mode == Mode.SHARED else 1
                wanted.append(
                    Slot(
                        venue=venue,
                        template=t,
                        starts_at=_aware(day, t.start),
                        ends_at=_aware(day, t.end),
                        mode=t.mode,
                        capacity=capacity,
                        places_left=capacity,
                    )
                )
        if not wanted:
            continue
        existing = set(
            Slot.objects.filter(
                venue=venue,
                starts_at__gte=min(s.starts_at for s in wanted),
                starts_at__lte=max(s.starts_at for s in wanted),
            ).values_list("starts_at", "ends_at", "mode")
        )
        missing = [s for s in wanted if (s.starts_at, s.ends_at, s.mode) not in existing]
        with transaction.atomic():
            Slot.objects.bulk_create(missing, ignore_conflicts=True)
        created += len(missing)
    return created


# --- entry by code ----------------------------------------------------------------------------


def _booking_for_entry(*, venue: Venue, member: Member, now: dt.datetime) -> Booking | None:
    window = Q(venue=venue, starts_at__lte=now + entry_grace(), ends_at__gt=now) & Q(
        status__in=LIVE
    )
    own = Booking.objects.filter(window, member=member).order_by("starts_at").first()
    if own is not None:
        return own
    # A union's exclusive booking: members of that union (its subtree) enter on it.
    for booking in (
        Booking.objects.filter(window, booker_org__isnull=False)
        .select_related("booker_org")
        .order_by("starts_at")
    ):
        assert booking.booker_org is not None
        if member.org.path.startswith(booking.booker_org.path):
            return booking
    return None


def entry_record(
    *, venue: Venue, member: Member, terminal_id: int | None = None, now: dt.datetime | None = None
) -> Entry:
    """Let ``member`` in on their booking for now (from ``grace`` before the start until the end).

    Once per booking and member; the booking becomes attended; a ServiceEvent is appended."""
    now = now or timeutil.now()
    if member.status != Member.Status.ACTIVE:
        raise Refused(code="member_inactive", message=_("This member is not active."), status=403)
    with transaction.atomic():
        booking = _booking_for_entry(venue=venue, member=member, now=now)
        if booking is None:
            raise Refused(
                code="no_booking",
                message=_("No booking at this venue for this member now."),
                status=409,
            )
        earlier = Entry.objects.filter(booking=booking, member=member).first()
        if earlier is not None:
            raise Refused(
                code="already_entered",
                message=_("Already entered at %(time)s.")
                % {"time": _local(earlier.entered_at).strftime("%H:%M")},
                status=409,
            )
        try:
            with transaction.atomic():
                entry = Entry.objects.create(
                    booking=booking,
                    venue=venue,
                    member=member,
                    terminal_id=terminal_id,
                    entered_at=now,
                )
        except IntegrityError:
            raise Refused(
                code="already_entered", message=_("Already entered."), status=409
            ) from None
        Booking.objects.filter(pk=booking.pk, status=Booking.Status.ACTIVE).update(
            status=Booking.Status.ATTENDED, entered_at=now
        )
        service_event_record(member=member, kind="venues.entry", source=entry, occurred_at=now)
    entry.booking = booking
    return entry


def entry_scan(*, terminal: Any, member: Member, payload: dict[str, Any]) -> dict[str, Any]:
    """Scan-dispatch handler of context ``venues.venue`` (the terminal's context_id is the venue
    id): a gate scanning the member's code, or the member reverse-scanning the venue's poster."""
    context_id = str(getattr(terminal, "context_id", ""))
    venue = (
        Venue.objects.select_related("org").filter(pk=int(context_id)).first()
        if context_id.isdigit() and len(context_id) <= 18
        else None
    )
    if venue is None:
        raise Refused(
            code="venue_unknown",
            message=_("This terminal is not set up for a known venue."),
            status=409,
        )
    entry = entry_record(venue=venue, member=member, terminal_id=terminal.pk)
    booking = entry.booking
    return {
        "venue": venue.name,
        "booking": booking.pk,
        "entry": entry.pk,
        "starts_at": _local(booking.starts_at).isoformat(),
        "ends_at": _local(booking.ends_at).isoformat(),
        "entered_at": _local(entry.entered_at).isoformat(),
        "message": _("Welcome to %(venue)s.") % {"venue": venue.name},
    }
