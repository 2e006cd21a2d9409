"""Entry by code: a member enters on their booking (or their union's) from the grace period
before its start until its end, once per booking."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.errors import Refused
from gonghui.members.models import Member
from gonghui.members.services import service_event_record

from ..models import Booking, Entry, Venue
from .rules import (
    LIVE,
    _local,
    entry_grace,
)


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
        # Entering on one's own booking is not counted again; on the union's booking it is the
        # service (that booking has no member and no event): docs/figures.md.
        service_event_record(
            member=member,
            kind="venues.entry" if booking.member_id == member.pk else "venues.group_entry",
            source=entry,
            occurred_at=now,
        )
    entry.booking = booking
    return entry
