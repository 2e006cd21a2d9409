"""Registration and cancellation with waitlist promotion.

First come: a conditional UPDATE takes a place (on PostgreSQL one statement locks the session
row, takes a place or the next waitlist position and inserts the registration); review and
lottery allocations record an application. Lock order: the member row (per-member limit),
the session row, registrations in ascending waitlist position, then funds' own order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import timeutil
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.members.models import Member

from .. import rules
from ..models import Allocation, Draw, Registration, Session
from ._common import (
    Status,
    _msg,
    _notify,
    _require,
    _take_place,
)
from .subsidies import _place_granted, _place_released


def _already_registered() -> Refused:
    return Refused(
        code="already_registered",
        message=_("You have already registered for this session."),
        status=409,
    )


def _registration_insert(**fields: Any) -> Registration:
    try:
        with transaction.atomic():
            return Registration.objects.create(created_at=timeutil.now(), **fields)
    except IntegrityError:
        raise _already_registered() from None


def _take_or_queue(
    *, session: Session, member: Member, child_name: str, child_birth_date: dt.date | None
) -> Registration:
    """Portable path: a conditional UPDATE takes a place; otherwise lock the session row, read
    the counts again (a place may have been freed meanwhile) and take the next waitlist position
    of the session's counter. ``created_at`` is set after the lock, so it follows lock order."""
    position = None
    if _take_place(session.pk):
        status = Status.CONFIRMED
    else:
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.places_left >= 1 and _take_place(session.pk):  # freed meanwhile
            status = Status.CONFIRMED
        elif not locked.waitlist_enabled:
            raise Refused(code="full", message=_("This session is full."), status=409)
        else:
            position = locked.waitlist_counter + 1
            Session.objects.filter(pk=session.pk).update(waitlist_counter=position)
            status = Status.WAITLISTED
    return _registration_insert(
        session=session,
        member=member,
        status=status,
        position=position,
        child_name=child_name,
        child_birth_date=child_birth_date,
    )


def _take_or_queue_pg(
    *, session: Session, member: Member, child_name: str, child_birth_date: dt.date | None
) -> Registration:
    """The same on PostgreSQL in ONE statement, so that the session row's lock is held for as
    short a time as possible (a flash sale queues on it): lock the row (FOR UPDATE, then read the
    counts), take a place or the next waitlist position, and insert the registration with
    ``clock_timestamp()`` — all before the lock's only other cost, the COMMIT."""
    s_table = connection.ops.quote_name(Session._meta.db_table)
    r_table = connection.ops.quote_name(Registration._meta.db_table)
    sql = f"""
        WITH o AS (
            SELECT id, places_left FROM {s_table} WHERE id = %s FOR UPDATE
        ), u AS (
            UPDATE {s_table} s SET
                places_left = CASE WHEN o.places_left > 0
                    THEN s.places_left - 1 ELSE s.places_left END,
                waitlist_counter = CASE WHEN o.places_left > 0
                    THEN s.waitlist_counter ELSE s.waitlist_counter + 1 END
            FROM o
            WHERE s.id = o.id AND (o.places_left > 0 OR s.waitlist_enabled)
            RETURNING o.places_left AS old_left, s.waitlist_counter AS counter
        )
        INSERT INTO {r_table} (session_id, member_id, status, position, reason, walk_in,
                               child_name, child_birth_date, subsidy_fen, created_at)
        SELECT %s, %s,
               CASE WHEN u.old_left > 0 THEN 'confirmed' ELSE 'waitlisted' END,
               CASE WHEN u.old_left > 0 THEN NULL ELSE u.counter END,
               '', false, %s, %s, 0, clock_timestamp()
        FROM u
        RETURNING id, status, position, created_at
    """  # noqa: S608 - the table names come from the models; every value is a parameter
    # No savepoint: its RELEASE would be one more round trip while the row is locked. A unique
    # violation (a concurrent duplicate) raises out of the caller's transaction, which rolls back.
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, [session.pk, session.pk, member.pk, child_name, child_birth_date])
            row = cursor.fetchone()
    except IntegrityError:
        raise _already_registered() from None
    if row is None:
        raise Refused(code="full", message=_("This session is full."), status=409)
    pk, status, position, created_at = row
    return Registration(
        pk=pk,
        session=session,
        member=member,
        status=status,
        position=position,
        child_name=child_name,
        child_birth_date=child_birth_date,
        created_at=created_at,
    )


# --- registration ---------------------------------------------------------------------------


def registration_create(
    *,
    member: Member,
    session: Session,
    child_name: str = "",
    child_birth_date: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Registration:
    """Register (first come), or apply (review, lottery).

    First come: a place is taken by one conditional UPDATE; when none is left, the session row
    is locked, the counts are read again (a place may have been freed meanwhile) and the member
    joins the waitlist at the next position of the session's counter. Arrival order on the
    waitlist is the order in which registrations took that lock."""
    now = now or timeutil.now()
    activity = session.activity
    if not activity.is_published:
        raise NotFound()
    refusal = rules.window_refusal(activity, now) or rules.eligibility_refusal(
        activity, session, member, child_name=child_name, child_birth_date=child_birth_date
    )
    if refusal is not None:
        raise refusal
    if session.starts_at <= now:
        raise Refused(code="closed", message=_("This session has already started."), status=409)
    if (
        activity.allocation == Allocation.LOTTERY
        and not Draw.objects.filter(session=session).exists()
    ):
        raise Refused(
            code="draw_not_committed",
            message=_("The draw of this session has not been committed yet; try again later."),
            status=409,
        )
    child_name = child_name.strip() if activity.needs_child else ""
    child_birth_date = child_birth_date if activity.needs_child else None
    with transaction.atomic():
        if activity.limit_per_year:
            Member.objects.select_for_update().filter(pk=member.pk).first()
            refusal = rules.limit_refusal(activity, session, member)
            if refusal is not None:
                raise refusal
        if (
            Registration.objects.filter(session=session, member=member)
            .exclude(status=Status.CANCELLED)
            .exists()
        ):
            raise _already_registered()
        if activity.allocation == Allocation.FIRST_COME:
            take = _take_or_queue_pg if connection.vendor == "postgresql" else _take_or_queue
            reg = take(
                session=session,
                member=member,
                child_name=child_name,
                child_birth_date=child_birth_date,
            )
        else:
            reg = _registration_insert(
                session=session,
                member=member,
                status=Status.APPLIED,
                position=None,
                child_name=child_name,
                child_birth_date=child_birth_date,
            )
        if reg.status == Status.CONFIRMED:
            _place_granted(reg)
    return reg


def registration_cancel(
    *,
    registration: Registration,
    member: Member | None = None,
    actor: Any = None,
    reason: str = "",
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Registration:
    """Cancel before the deadline (members) or any time before attendance closes (staff,
    audited). A freed place goes to the waitlist head (lowest position), who is told by SMS."""
    now = now or timeutil.now()
    session = registration.session
    activity = session.activity
    if member is not None and registration.member_id != member.pk:
        raise NotFound()
    if actor is not None:
        _require(actor, "activities.manage", activity)
    elif member is None:
        raise NotFound()
    if member is not None and actor is None and now > rules.cancel_deadline(session):
        raise Refused(
            code="cancellation_closed",
            message=_("Cancellation closed at %(time)s.")
            % {
                "time": timeutil.to_local(rules.cancel_deadline(session)).strftime("%Y-%m-%d %H:%M")
            },
            status=409,
        )
    with transaction.atomic():
        locked_session = Session.objects.select_for_update().get(pk=session.pk)
        reg = Registration.objects.select_for_update().get(pk=registration.pk)
        if reg.status not in (*Registration.HOLDING, *Registration.PENDING):
            raise Refused(
                code="not_cancellable",
                message=_("This registration cannot be cancelled (it is %(status)s).")
                % {"status": reg.get_status_display()},
                status=409,
            )
        held = reg.status in Registration.HOLDING
        reg.status = Status.CANCELLED
        reg.reason = (reason or "").strip()[:200]
        reg.save(update_fields=["status", "reason"])
        if held:
            _place_released(reg, actor=actor)
            head = None
            if locked_session.starts_at > now:
                head = (
                    Registration.objects.select_for_update()
                    .filter(session=session, status=Status.WAITLISTED)
                    .order_by("position")
                    .first()
                )
            if head is not None:
                head.status = Status.CONFIRMED
                head.save(update_fields=["status"])
                _place_granted(head, tolerate_budget=True)
                _notify(
                    head.member,
                    _msg(
                        "activities.waitlist_promoted",
                        gettext_lazy(
                            "A place has freed up: you are now confirmed for %(title)s on %(time)s."
                        ),
                        title=activity.title,
                        time=timeutil.to_local(session.starts_at).strftime("%m-%d %H:%M"),
                    ),
                )
            else:
                Session.objects.filter(pk=session.pk).update(places_left=F("places_left") + 1)
        if actor is not None:
            audit_record(
                actor=actor,
                action="activities.registration.cancel",
                obj=reg,
                org=activity.org,
                data={"reason": reg.reason},
                ip=ip,
            )
    return reg
