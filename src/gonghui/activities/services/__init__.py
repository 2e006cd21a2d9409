"""Activity writes: registration, cancellation with waitlist promotion, review, draws,
check-in, attendance, sessions. Each is one transaction; refusals raise ``core.errors.Refused``
and change nothing. The scan handler is in ``activities/scan.py``.

Lock order (no deadlocks): the member row (only where a per-member limit applies), then the
session row (a conditional UPDATE or SELECT … FOR UPDATE), then registrations in ascending
waitlist position, then the subsidy budget and ledger accounts (funds' own order).

- ``registration``: register, apply, cancel (waitlist promotion);
- ``review``: approve or reject applications (review allocation);
- ``lottery``: commit, run and publish a draw (lottery allocation);
- ``checkin``: check-in, walk-ins, closing attendance;
- ``sessions``: staff writes on sessions and their terminals;
- ``subsidies``: the subsidy taken or released with a place."""

from ..selectors import NO_SHOW_LOOKBACK, no_show_count
from ._common import ACTIVITY_SOURCE, CHECKIN_OPENS_BEFORE, PURPOSE_DRAW_SEED
from .checkin import attendance_close, checkin_record
from .lottery import draw_commit, draw_publish, draw_run
from .registration import registration_cancel, registration_create
from .review import application_review, applications_approve_by_priority
from .sessions import attendees_export_audit, session_capacity_set, session_create, session_terminal

__all__ = [
    "ACTIVITY_SOURCE",
    "CHECKIN_OPENS_BEFORE",
    "NO_SHOW_LOOKBACK",
    "PURPOSE_DRAW_SEED",
    "application_review",
    "applications_approve_by_priority",
    "attendance_close",
    "attendees_export_audit",
    "checkin_record",
    "draw_commit",
    "draw_publish",
    "draw_run",
    "no_show_count",
    "registration_cancel",
    "registration_create",
    "session_capacity_set",
    "session_create",
    "session_terminal",
]
