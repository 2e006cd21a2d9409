"""What a cashier may look back on: the shift (today, since sign-in) and the history (a range of
local days), at the stores the principal operates and no others.

Both name a terminal, reached through the one front door (``codes.selectors.terminals_operable``,
through ``selectors.terminal_for_cashier``; out of reach is 404). The history covers the stores of
that terminal's merchant whose terminals the principal operates: a merchant's cashier, every store
of the merchant that employs them; union staff with ``pos.operate``, those of the merchant's stores
in their subtree; a terminal key, its own store. The reads are ``benefits.selectors``' (one rule for totals: voided redemptions are
listed and left out of the sums)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from gonghui.benefits.models import Store
from gonghui.codes.models import Terminal
from gonghui.core.errors import Refused
from gonghui.core.timeutil import SHANGHAI, local_today, now, to_local

from .selectors import STORE_CONTEXT, store_of, terminals_for_cashier

#: The history's default range: the last 7 local days, today included.
HISTORY_DEFAULT_DAYS = 7
#: The longest range one request may ask for (about a quarter).
HISTORY_MAX_DAYS = 92
#: Rows per page.
HISTORY_PAGE_SIZE = 50


def store_ids_operated(principal: Any, terminal: Terminal) -> list[int]:
    """The stores of ``terminal``'s merchant whose terminals ``principal`` operates: a terminal
    key, its own store; a signed-in user (who reached ``terminal`` through the front door), every
    store of that merchant where they operate a terminal. Empty when ``terminal`` stands in no
    store."""
    store = store_of(terminal)
    if store is None:
        return []
    if isinstance(principal, Terminal):
        return [store.pk]
    ids = {
        int(t.context_id)
        for t in terminals_for_cashier(principal).filter(context_type=STORE_CONTEXT)
        if t.context_id.isdigit()
    }
    return sorted(
        Store.objects.filter(pk__in=ids, merchant_id=store.merchant_id).values_list("pk", flat=True)
    )


def _date(text: str | None, field: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Refused(
            code="date_invalid",
            message=_("Enter the date as year-month-day, e.g. 2026-12-01."),
            field=field,
        ) from None


def history_range(
    date_from: str | None, date_to: str | None, *, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The local days ``date_from``..``date_to`` (ISO dates; both included). Default: the last
    ``HISTORY_DEFAULT_DAYS`` days up to today. Refused (400, naming the field): a date that is
    not a date, a start after the end, an end after today, more than ``HISTORY_MAX_DAYS`` days."""
    today = today or local_today()
    end = _date(date_to, "date_to") or today
    start = _date(date_from, "date_from") or end - dt.timedelta(days=HISTORY_DEFAULT_DAYS - 1)
    if end > today:
        raise Refused(
            code="date_invalid", message=_("The end date cannot be after today."), field="date_to"
        )
    if start > end:
        raise Refused(
            code="date_invalid",
            message=_("The start date must not be after the end date."),
            field="date_from",
        )
    if (end - start).days + 1 > HISTORY_MAX_DAYS:
        raise Refused(
            code="range_too_long",
            message=_("Choose at most %(n)d days at a time.") % {"n": HISTORY_MAX_DAYS},
            field="date_from",
        )
    return start, end


def shift_start(user: Any, *, at: dt.datetime | None = None) -> dt.datetime:
    """When the cashier's shift began: their sign-in (``last_login``) if it was today (local
    day), else the start of today. A terminal key has no sign-in: the start of today."""
    at = at or now()
    day = to_local(at).date()
    midnight = dt.datetime.combine(day, dt.time(0, 0), tzinfo=SHANGHAI)
    signed_in = getattr(user, "last_login", None)
    if signed_in is not None and to_local(signed_in).date() == day:
        return max(signed_in, midnight)
    return midnight
