"""Scan handlers of the activities app (registered in ``ActivitiesConfig.ready``).

- ``activities.session`` (a gate or poster terminal, ``context_id`` = the session's pk): the
  member checks in."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gonghui.core.errors import Refused
from gonghui.members.models import Member

from .models import CheckIn, Session
from .services import checkin_record


def checkin_scan_handler(
    *, terminal: Any, member: Member, payload: dict[str, Any]
) -> dict[str, Any]:
    """Scan dispatch for context "activities.session": a gate scanned the member's code, or the
    member reverse-scanned the session's poster (a terminal of kind ``spot_poster``)."""
    try:
        session = Session.objects.select_related("activity").get(pk=int(terminal.context_id))
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Refused(
            code="no_session", message=_("This terminal's session does not exist."), status=404
        ) from None
    if not session.activity.org.path.startswith(
        terminal.org.path
    ) and not terminal.org.path.startswith(session.activity.org.path):
        raise Refused(
            code="no_session", message=_("This terminal's session does not exist."), status=404
        )
    via = CheckIn.Via.POSTER if terminal.kind == "spot_poster" else CheckIn.Via.TERMINAL
    checkin = checkin_record(session=session, member=member, via=via, terminal_id=terminal.pk)
    return {
        "session": session.pk,
        "title": session.activity.title,
        "checked_in": True,
        "walk_in": checkin.registration.walk_in,
        "count": CheckIn.objects.filter(session=session).count(),
    }
