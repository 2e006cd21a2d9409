"""A believable year of history for the demo federation (docs/demo.md).

``history_load()`` replays the 365 local days before today through the real services, each
call made with the clock set to its moment (``calendar.clock_at``), so that every invariant the
services keep holds — places taken, stock, budgets, members' limits, the balanced ledger and
its cached balances, unique keys, the events and 日活 they note. The high-volume rows that
share no counter (lessons completed, activity check-ins, gate entries) are bulk-inserted with
exactly what their service writes (``bulk``), and so is the 日活 of H5 sign-ins (``sessions``).
Deterministic (one seeded random stream, today's date); written once: the marker is the
ledger transaction of the year's welfare top-up (source ``demo.history``/``welfare-topup``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction

from gonghui.core.timeutil import local_today
from gonghui.funds.models import LedgerTransaction
from gonghui.members.models import Member
from gonghui.members.pii import phone_index
from gonghui.orgs.models import Org

from .. import data
from . import (
    academy,
    activities,
    assistance,
    benefits,
    honors,
    jobs,
    joining,
    mutualaid,
    rights,
    sessions,
    venues,
)
from .calendar import Year

log = logging.getLogger(__name__)
MARKER = ("demo.history", "welfare-topup")


def history_loaded() -> bool:
    return LedgerTransaction.objects.filter(source_type=MARKER[0], source_id=MARKER[1]).exists()


def _members() -> list[Member]:
    """Active members, but the documented demo member, whose limits and bookings stay free
    for whoever tries the demo today."""
    return list(
        Member.objects.filter(status=Member.Status.ACTIVE)
        .exclude(phone_index=phone_index(data.DEMO_MEMBER_PHONE))
        .select_related("org", "enterprise")
        .order_by("pk")
    )


def history_load() -> dict[str, int]:
    """Write the year (once); returns the rows made per part (empty when already there)."""
    if history_loaded():
        return {}
    # The year's SMS notices (approvals, waiting-list places) went out long ago: not printed.
    sms_log = logging.getLogger("gonghui.sms")
    level = sms_log.level
    sms_log.setLevel(logging.WARNING)
    try:
        made = _load()
    except BaseException:
        sms_log.setLevel(level)
        raise
    # after the notices queued on commit (a waiting list's place freed) have gone out
    transaction.on_commit(lambda: sms_log.setLevel(level))
    return made


def _load() -> dict[str, int]:
    User = get_user_model()
    root = Org.objects.get(code=data.FEDERATION.code)
    year = Year(local_today())
    boss = User.objects.get(username="fed_admin")
    made: dict[str, int] = {}

    def part(name: str, load: Callable[[], int]) -> None:
        started = time.monotonic()
        with transaction.atomic():
            made[name] = load()
        log.info("demo history: %s %s rows in %.1fs", name, made[name], time.monotonic() - started)

    # Benefits first: its welfare top-up is the marker, booked at the start of the year.
    members = _members()
    part("benefits", lambda: benefits.load(root=root, year=year, members=members, actor=boss))
    part("joining", lambda: joining.load(year=year, actor=boss))
    members = _members()  # with those who joined during the year
    part(
        "activities",
        lambda: activities.load(
            root=root, year=year, members=members, organiser=User.objects.get(username="organiser")
        ),
    )
    part("venues", lambda: venues.load(year=year, members=members, actor=boss))
    part("academy", lambda: academy.load(root=root, year=year, members=members))
    part("jobs", lambda: jobs.load(root=root, year=year, members=members))
    part(
        "rights",
        lambda: rights.load(
            year=year, members=members, lawyer=User.objects.get(username="lawyer"), boss=boss
        ),
    )
    part(
        "assistance",
        lambda: assistance.load(
            root=root,
            year=year,
            members=members,
            boss=boss,
            worker=User.objects.get(username="case_worker"),
        ),
    )
    part(
        "mutualaid",
        lambda: mutualaid.load(
            root=root, year=year, reviewer=User.objects.get(username="reviewer"), actor=boss
        ),
    )
    part("honors", lambda: honors.load(root=root, year=year, members=members))
    part("sessions", lambda: sessions.load(year=year, members=members))
    return made
