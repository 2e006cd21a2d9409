"""Member activity (日活 / 月活): who was active on which local day.

Active means (issue #13): a request with a member session, an accepted scan of the member's
code, or a ``ServiceEvent``, on that Asia/Shanghai day. ``activity_note`` records it as at most
one ``MemberActivity`` row per member and day, cheaply:

1. a set in this process of the (member, day) pairs it already noted — no round trip at all for
   a member's second request of the day on the same worker;
2. ``cache.add`` of a key per member and day (Redis in production): one round trip, shared by
   every worker; when the cache is down the database decides;
3. ``INSERT … ON CONFLICT DO NOTHING`` on the unique (member, day): the guarantee.

It never runs inside a hot path's lock span: the H5 middleware notes after the response is
made, a scan after its transaction committed, a service event on commit of the transaction
that recorded it. Reads are in ``members.selectors`` (``active_members``, ``active_by_day``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse

from gonghui.core.db import insert_or_skip
from gonghui.core.timeutil import SHANGHAI, now

from .models import MemberActivity

log = logging.getLogger(__name__)

Via = MemberActivity.Via
_SEEN_MAX = 50_000
_seen: set[tuple[int, dt.date]] = set()
CACHE_TTL_SECONDS = 36 * 3600  # past the end of the local day whatever the hour


def _cache_key(member_id: int, day: dt.date) -> str:
    return f"gh:act:{member_id}:{day.isoformat()}"


def activity_note(*, member_id: int, org_id: int, via: str, at: dt.datetime | None = None) -> bool:
    """Record that the member was active at ``at`` (default now); True when this made the row.

    Idempotent and cheap: repeated calls for one member and local day write one row."""
    at = at or now()
    day = at.astimezone(SHANGHAI).date()
    pair = (member_id, day)
    if pair in _seen:
        return False
    try:
        fresh = cache.add(_cache_key(member_id, day), 1, timeout=CACHE_TTL_SECONDS)
    except Exception:  # the cache is down: the database decides
        log.warning("member activity: cache unavailable, writing through", exc_info=True)
        fresh = True
    made = False
    if fresh:
        try:
            made = insert_or_skip(
                MemberActivity(member_id=member_id, day=day, org_id=org_id, via=via, first_at=at)
            )
        except DatabaseError:
            # The service itself is done and committed: a lost activity mark must not turn its
            # answer into an error. The next request or scan of the day marks it again.
            log.exception("member activity: not recorded for member %s on %s", member_id, day)
            _forget_cache(member_id, day)
            return False
    if len(_seen) >= _SEEN_MAX:
        _seen.clear()
    _seen.add(pair)
    return made


def _forget_cache(member_id: int, day: dt.date) -> None:
    try:
        cache.delete(_cache_key(member_id, day))
    except Exception:  # the cache is down too: nothing to forget
        log.debug("member activity: cache unavailable", exc_info=True)


def activity_note_on_commit(
    *, member_id: int, org_id: int, via: str, at: dt.datetime | None = None
) -> None:
    """``activity_note`` once the current transaction commits (nothing if it rolls back)."""
    transaction.on_commit(lambda: activity_note(member_id=member_id, org_id=org_id, via=via, at=at))


def forget_seen() -> None:
    """Empty this process's memory of noted pairs (tests)."""
    _seen.clear()


class MemberActivityMiddleware:
    """Notes the signed-in member of an H5 request once the response is made."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        from .session import cached_member

        member = cached_member(request)
        if member is not None and response.status_code < 400:
            activity_note(member_id=member.pk, org_id=member.org_id, via=Via.SESSION)
        return response
