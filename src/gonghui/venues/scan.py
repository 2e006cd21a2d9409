"""Scan handlers of the venues app (registered in ``VenuesConfig.ready``).

- ``venues.venue`` (a gate or poster terminal, ``context_id`` = the venue's pk): the member
  enters on their booking."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.errors import Refused
from gonghui.members.models import Member

from .models import Venue
from .services import entry_record


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
        "starts_at": timeutil.to_local(booking.starts_at).isoformat(),
        "ends_at": timeutil.to_local(booking.ends_at).isoformat(),
        "entered_at": timeutil.to_local(entry.entered_at).isoformat(),
        "message": _("Welcome to %(venue)s.") % {"venue": venue.name},
    }
