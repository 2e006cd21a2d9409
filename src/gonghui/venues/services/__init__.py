"""Writes of the venues app: slot generation, bookings, cancellations, entries, no-shows.

Every write is one transaction and refuses with ``core.errors.Refused`` (nothing changed).
Locks are always taken in one order: venue → member → slot.

- A shared place: the venue row ``FOR SHARE`` (shared bookings do not block each other, an
  exclusive booking of an overlapping time waits), the member row (per-member limit), then one
  conditional UPDATE of ``places_left`` (backed by a CHECK constraint).
- An exclusive booking: the venue row ``FOR NO KEY UPDATE`` (one exclusive booking of a venue at
  a time), overlap checks for a clear refusal, and on PostgreSQL the EXCLUSION constraint behind
  them. On SQLite (``transaction_mode = IMMEDIATE``) writers are serialised already.

Modules: ``rules`` (the checks and locks the writes share), ``bookings``, ``slots``, ``entry``.
The scan handler is in ``venues/scan.py``; closures and opening hours are read in ``selectors``.
"""

from ..selectors import closure_on, within_hours
from .bookings import (
    booking_cancel,
    booking_cancel_series,
    booking_create,
    booking_create_recurring,
    no_shows_mark,
)
from .entry import entry_record
from .rules import (
    LIVE,
    MAX_RANGE_HOURS,
    MAX_RECURRING_WEEKS,
    SHANGHAI,
    entry_grace,
    slot_horizon_days,
)
from .slots import slots_generate

__all__ = [
    "LIVE",
    "MAX_RANGE_HOURS",
    "MAX_RECURRING_WEEKS",
    "SHANGHAI",
    "booking_cancel",
    "booking_cancel_series",
    "booking_create",
    "booking_create_recurring",
    "closure_on",
    "entry_grace",
    "entry_record",
    "no_shows_mark",
    "slot_horizon_days",
    "slots_generate",
    "within_hours",
]
