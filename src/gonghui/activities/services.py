"""Activity writes: registration, cancellation with waitlist promotion, review, draws,
check-in (also from scan dispatch), attendance. Each is one transaction; refusals raise
``core.errors.Refused`` and change nothing.

Lock order (no deadlocks): the member row (only where a per-member limit applies), then the
session row (a conditional UPDATE or SELECT … FOR UPDATE), then registrations in ascending
waitlist position, then the subsidy budget and ledger accounts (funds' own order)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import crypto, timeutil
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.core.sms import sms_send
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind, LedgerTransaction
from gonghui.members import attendance
from gonghui.members.models import Member
from gonghui.members.pii import open_phone
from gonghui.members.services import service_event_record
from gonghui.orgs.scoping import can

from . import draw as draw_algo
from . import rules
from .models import Activity, Allocation, CheckIn, Draw, Registration, Session

log = logging.getLogger(__name__)

PURPOSE_DRAW_SEED = "activities.draw_seed"
ACTIVITY_SOURCE = "activities.activity"  # members.attendance source name
CHECKIN_OPENS_BEFORE = dt.timedelta(hours=2)
NO_SHOW_LOOKBACK = dt.timedelta(days=365)
Status = Registration.Status


# --- helpers --------------------------------------------------------------------------------


def _require(actor: Any, capability: str, activity: Activity) -> None:
    if not can(actor, capability, activity.org):
        raise NotFound()


def _notify(member: Member, message: str) -> None:
    """Send an SMS after the transaction commits (never for a rolled-back change)."""

    def send() -> None:
        try:
            phone = open_phone(member)
        except crypto.DecryptionError:
            log.error("cannot open the phone of member %s for an activity notice", member.pk)
            return
        sms_send(phone=phone, message=message)

    transaction.on_commit(send)


def _msg(text: Any, **kw: Any) -> str:
    """An SMS in the site's language (``text`` is a gettext_lazy string)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text) % kw if kw else str(text)


def _payable(activity: Activity) -> Any:
    return funds.account_open(
        org=activity.org,
        kind=AccountKind.MERCHANT_PAYABLE,
        party=("activities.activity", activity.pk),
        name=f"{activity.title[:100]}",
    )


def _place_granted(reg: Registration, *, tolerate_budget: bool = False) -> None:
    """A registration now holds a place: count the service and pay the subsidy, if any.

    ``tolerate_budget``: for a waitlist promotion (the cancelling member must not be refused
    because the budget ran dry), an exhausted budget means no subsidy instead of a refusal."""
    activity = reg.session.activity
    amount = 0
    if activity.subsidy_fen and activity.subsidy_budget_id and reg.subsidy_txn_id is None:
        budget = activity.subsidy_budget
        assert budget is not None
        try:
            with transaction.atomic():
                funds.budget_take(budget=budget, amount_fen=activity.subsidy_fen)
                txn = funds.transaction_post(
                    org=activity.org,
                    kind="activities.subsidy",
                    entries=[
                        (budget.account, activity.subsidy_fen),
                        (_payable(activity), -activity.subsidy_fen),
                    ],
                    memo=f"{activity.title[:80]} #{reg.pk}",
                    source=("activities.registration", reg.pk),
                )
                if getattr(txn, "replayed", False):
                    raise Refused(code="subsidy_replayed", message=_("Subsidy already booked."))
            amount = activity.subsidy_fen
            reg.subsidy_fen = amount
            reg.subsidy_txn_id = txn.pk
            reg.save(update_fields=["subsidy_fen", "subsidy_txn_id"])
        except Refused:
            if not tolerate_budget:
                raise
    service_event_record(
        member=reg.member,
        kind="activities.registration",
        source=reg,
        amount_fen=amount,
        org=activity.org,
        occurred_at=timeutil.now(),
    )


def _subsidy_release(reg: Registration, *, actor: Any) -> None:
    if reg.subsidy_txn_id is None:
        return
    activity = reg.session.activity
    assert activity.subsidy_budget is not None
    funds.budget_release(budget=activity.subsidy_budget, amount_fen=reg.subsidy_fen)
    txn = LedgerTransaction.objects.get(pk=reg.subsidy_txn_id)
    funds.transaction_reverse(
        txn=txn,
        actor=actor,
        kind="activities.subsidy_refund",
        source=("activities.registration", reg.pk),
        memo=f"{activity.title[:80]} #{reg.pk}",
    )
    reg.subsidy_fen = 0
    reg.subsidy_txn_id = None
    reg.save(update_fields=["subsidy_fen", "subsidy_txn_id"])


def _take_place(session_pk: int) -> bool:
    return (
        Session.objects.filter(pk=session_pk, places_left__gte=1).update(
            places_left=F("places_left") - 1
        )
        == 1
    )


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
            _subsidy_release(reg, actor=actor)
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


# --- review ---------------------------------------------------------------------------------


def no_show_count(member: Member, *, before: dt.datetime) -> int:
    return Registration.objects.filter(
        member=member,
        status=Status.NO_SHOW,
        session__starts_at__gte=before - NO_SHOW_LOOKBACK,
        session__starts_at__lt=before,
    ).count()


def application_review(
    *,
    actor: Any,
    registration: Registration,
    approve: bool,
    reason: str = "",
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Registration:
    """Approve (takes a place of the quota) or reject (a reason is required) an application."""
    now = now or timeutil.now()
    session = registration.session
    activity = session.activity
    _require(actor, "activities.review", activity)
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise Refused(code="invalid", message=_("The reason is too long."), field="reason")
    if not approve and not reason:
        raise Refused(
            code="reason_required", message=_("Give a reason for the rejection."), field="reason"
        )
    if activity.allocation != Allocation.REVIEW:
        raise Refused(
            code="not_review", message=_("This activity does not take applications."), status=409
        )
    with transaction.atomic():
        reg = Registration.objects.select_for_update().get(pk=registration.pk)
        if reg.status != Status.APPLIED:
            raise Refused(
                code="not_pending",
                message=_("This application has already been decided."),
                status=409,
            )
        if approve:
            refusal = rules.eligibility_refusal(
                activity,
                session,
                reg.member,
                child_name=reg.child_name,
                child_birth_date=reg.child_birth_date,
            ) or rules.limit_refusal(activity, session, reg.member, exclude_pk=reg.pk)
            if refusal is not None:
                raise refusal
            if not _take_place(session.pk):
                raise Refused(
                    code="quota_full",
                    message=_("The quota of this session is used up."),
                    status=409,
                )
            reg.status = Status.APPROVED
        else:
            reg.status = Status.REJECTED
        reg.reason = reason
        reg.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        reg.decided_at = now
        reg.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        if approve:
            _place_granted(reg)
        audit_record(
            actor=actor,
            action="activities.application.approve" if approve else "activities.application.reject",
            obj=reg,
            org=activity.org,
            data={"reason": reason},
            ip=ip,
        )
        _notify(
            reg.member,
            _msg(gettext_lazy("Your application for %(title)s was approved."), title=activity.title)
            if approve
            else _msg(
                gettext_lazy("Your application for %(title)s was not approved: %(reason)s"),
                title=activity.title,
                reason=reason,
            ),
        )
    return reg


def applications_approve_by_priority(
    *, actor: Any, session: Session, now: dt.datetime | None = None, ip: str | None = None
) -> dict[str, int]:
    """Approve pending applications in priority order (selectors.applications_ranked) while the
    quota lasts; ineligible applicants are rejected with the rule's message. Others stay pending."""
    from .selectors import applications_ranked

    _require(actor, "activities.review", session.activity)
    approved = rejected = 0
    for row in applications_ranked(session):
        fresh = Session.objects.get(pk=session.pk)
        if fresh.places_left < 1:
            break
        try:
            application_review(
                actor=actor,
                registration=row.registration,
                approve=True,
                reason=row.reason,
                now=now,
                ip=ip,
            )
            approved += 1
        except Refused as exc:
            if exc.code == "quota_full":
                break
            if exc.code == "not_pending":
                continue
            application_review(
                actor=actor,
                registration=row.registration,
                approve=False,
                reason=str(exc.message)[:200],
                now=now,
                ip=ip,
            )
            rejected += 1
    return {"approved": approved, "rejected": rejected}


# --- draws ----------------------------------------------------------------------------------


def draw_commit(
    *,
    actor: Any,
    session: Session,
    seed: str | None = None,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Draw:
    """Commit to a secret seed before the registration window opens: sha256(seed) is public
    from now on, the seed stays encrypted until the draw runs."""
    now = now or timeutil.now()
    activity = session.activity
    _require(actor, "activities.manage", activity)
    if activity.allocation != Allocation.LOTTERY:
        raise Refused(code="not_lottery", message=_("This activity is not a lottery."), status=409)
    if now >= activity.registration_opens:
        raise Refused(
            code="too_late",
            message=_("A draw must be committed before the registration window opens."),
            status=409,
        )
    seed = seed or secrets.token_hex(32)
    try:
        raw = bytes.fromhex(seed)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise Refused(code="invalid", message=_("A seed is 64 hex digits."), field="seed")
    with transaction.atomic():
        try:
            with transaction.atomic():
                draw = Draw.objects.create(
                    session=session,
                    algorithm=draw_algo.ALGORITHM,
                    seed_hash=draw_algo.commitment(seed),
                    seed_cipher=crypto.encrypt(seed.lower(), purpose=PURPOSE_DRAW_SEED),
                    committed_at=now,
                )
        except IntegrityError:
            raise Refused(
                code="already_committed",
                message=_("This session's draw is already committed."),
                status=409,
            ) from None
        audit_record(
            actor=actor,
            action="activities.draw.commit",
            obj=draw,
            org=activity.org,
            data={"seed_hash": draw.seed_hash},
            ip=ip,
        )
    return draw


def draw_run(
    *, actor: Any, session: Session, now: dt.datetime | None = None, ip: str | None = None
) -> Draw:
    """After the window closes: reveal the seed, drop ineligible applicants (lost, with the
    reason), order the rest (draw.draw_order) and give the places to the first ones. The others
    join the waitlist in draw order (or lose when the session has no waitlist)."""
    now = now or timeutil.now()
    activity = session.activity
    _require(actor, "activities.manage", activity)
    if now < activity.registration_closes:
        raise Refused(
            code="window_open",
            message=_("The draw runs after registration closes."),
            status=409,
        )
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        draw = Draw.objects.select_for_update().filter(session=session).first()
        if draw is None:
            raise Refused(code="no_draw", message=_("No draw was committed."), status=409)
        if draw.run_at is not None:
            raise Refused(code="already_run", message=_("This draw has already run."), status=409)
        seed = crypto.decrypt(draw.seed_cipher, purpose=PURPOSE_DRAW_SEED)
        applicants: list[tuple[int, int]] = []
        excluded: list[list[Any]] = []
        regs = {
            r.pk: r
            for r in Registration.objects.select_for_update()
            .filter(session=session, status=Status.APPLIED)
            .select_related("member", "member__org")
            .order_by("pk")
        }
        for reg in regs.values():
            refusal = rules.eligibility_refusal(
                activity,
                session,
                reg.member,
                child_name=reg.child_name,
                child_birth_date=reg.child_birth_date,
            ) or rules.limit_refusal(activity, session, reg.member, exclude_pk=reg.pk)
            if refusal is not None:
                reg.status = Status.LOST
                reg.reason = str(refusal.message)[:200]
                reg.save(update_fields=["status", "reason"])
                excluded.append([reg.pk, refusal.code])
                continue
            tier = 1 if no_show_count(reg.member, before=activity.registration_closes) else 0
            applicants.append((reg.pk, tier))
        order = draw_algo.draw_order(seed, applicants)
        places = min(locked.places_left, len(order))
        winners = order[:places]
        if places:
            Session.objects.filter(pk=session.pk).update(places_left=F("places_left") - places)
        position = locked.waitlist_counter
        for rank, rid in enumerate(order):
            reg = regs[rid]
            if rank < places:
                reg.status = Status.WON
                reg.save(update_fields=["status"])
                _place_granted(reg)
            elif locked.waitlist_enabled:
                position += 1
                reg.status = Status.WAITLISTED
                reg.position = position
                reg.save(update_fields=["status", "position"])
            else:
                reg.status = Status.LOST
                reg.save(update_fields=["status"])
        Session.objects.filter(pk=session.pk).update(waitlist_counter=position)
        draw.seed = seed
        draw.run_at = now
        draw.places = places
        draw.proof = {
            "algorithm": draw.algorithm,
            "session": session.pk,
            "seed_hash": draw.seed_hash,
            "seed": seed,
            "committed_at": draw.committed_at.isoformat(),
            "registration_opens": activity.registration_opens.isoformat(),
            "places": places,
            "applicants": [[rid, tier] for rid, tier in sorted(applicants)],
            "excluded": excluded,
            "order": order,
            "winners": winners,
        }
        draw.save(update_fields=["seed", "run_at", "places", "proof"])
        audit_record(
            actor=actor,
            action="activities.draw.run",
            obj=draw,
            org=activity.org,
            data={"places": places, "applicants": len(applicants), "excluded": len(excluded)},
            ip=ip,
        )
    return draw


def draw_publish(
    *, actor: Any, session: Session, now: dt.datetime | None = None, ip: str | None = None
) -> Draw:
    """Publish the result and its proof; tell every applicant by SMS."""
    now = now or timeutil.now()
    activity = session.activity
    _require(actor, "activities.manage", activity)
    with transaction.atomic():
        draw = Draw.objects.select_for_update().filter(session=session).first()
        if draw is None or draw.run_at is None:
            raise Refused(code="not_run", message=_("Run the draw first."), status=409)
        if draw.published_at is not None:
            raise Refused(
                code="already_published", message=_("This draw is already published."), status=409
            )
        draw.published_at = now
        draw.save(update_fields=["published_at"])
        winners = set(draw.proof.get("winners", []))
        for reg in Registration.objects.filter(pk__in=draw.proof.get("order", [])).select_related(
            "member"
        ):
            _notify(
                reg.member,
                _msg(gettext_lazy("You won the draw for %(title)s."), title=activity.title)
                if reg.pk in winners
                else _msg(
                    gettext_lazy(
                        "You were not drawn for %(title)s; you are number %(n)s on the waitlist."
                    ),
                    title=activity.title,
                    n=reg.position or "—",
                ),
            )
        audit_record(
            actor=actor, action="activities.draw.publish", obj=draw, org=activity.org, ip=ip
        )
    return draw


# --- check-in -------------------------------------------------------------------------------


def checkin_record(
    *,
    session: Session,
    member: Member,
    via: str,
    terminal_id: int | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> CheckIn:
    """Check a member in, exactly once per session. A member without a place (no registration,
    or still waitlisted/applied) walks in when a place is free."""
    now = now or timeutil.now()
    activity = session.activity
    if actor is not None:
        _require(actor, "activities.manage", activity)
    if via not in CheckIn.Via.values:
        raise Refused(code="invalid", message=_("Unknown check-in channel."), field="via")
    if now < session.starts_at - CHECKIN_OPENS_BEFORE:
        raise Refused(
            code="checkin_not_open",
            message=_("Check-in opens two hours before the session."),
            status=409,
        )
    if now > session.ends_at:
        raise Refused(code="checkin_closed", message=_("This session has ended."), status=409)
    already = Refused(
        code="already_checked_in",
        message=_("%(name)s is already checked in.") % {"name": member.name},
        status=409,
    )
    with transaction.atomic():
        reg = (
            Registration.objects.select_for_update()
            .filter(session=session, member=member)
            .exclude(status=Status.CANCELLED)
            .first()
        )
        if reg is not None and reg.status in (Status.ATTENDED, Status.NO_SHOW):
            raise already
        if reg is None or reg.status not in Registration.HOLDING:
            if reg is not None and reg.status in (Status.REJECTED, Status.LOST):
                raise Refused(
                    code="not_admitted",
                    message=_("This member's application was not successful."),
                    status=409,
                )
            refusal = rules.eligibility_refusal(
                activity,
                session,
                member,
                child_name=reg.child_name if reg else "",
                child_birth_date=reg.child_birth_date if reg else None,
            )
            if refusal is not None and refusal.code != "child_required":
                raise refusal
            if not _take_place(session.pk):
                raise Refused(
                    code="no_place",
                    message=_("No place is free for a walk-in."),
                    status=409,
                )
            if reg is None:
                try:
                    with transaction.atomic():
                        reg = Registration.objects.create(
                            session=session,
                            member=member,
                            status=Status.CONFIRMED,
                            walk_in=True,
                            created_at=now,
                        )
                except IntegrityError:
                    raise already from None
            else:
                reg.status = Status.CONFIRMED
                reg.walk_in = True
                reg.save(update_fields=["status", "walk_in"])
            _place_granted(reg)
        reg.status = Status.ATTENDED
        reg.save(update_fields=["status"])
        try:
            with transaction.atomic():
                checkin = CheckIn.objects.create(
                    registration=reg,
                    session=session,
                    member=member,
                    via=via,
                    terminal_id=terminal_id,
                    at=now,
                )
        except IntegrityError:
            raise already from None
        service_event_record(
            member=member,
            kind="activities.checkin",
            source=checkin,
            org=activity.org,
            occurred_at=now,
        )
        attendance.attended(  # e.g. honors counts a volunteer's hours (same transaction)
            source=ACTIVITY_SOURCE, id=activity.pk, member=member, sitting_id=session.pk, at=now
        )
        if actor is not None:
            audit_record(
                actor=actor,
                action="activities.checkin.staff",
                obj=checkin,
                org=activity.org,
                ip=ip,
            )
    return checkin


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


def attendance_close(
    *, actor: Any, session: Session, now: dt.datetime | None = None, ip: str | None = None
) -> int:
    """After the session: every place holder who did not check in is a no-show (lowers their
    priority next time). Returns the number of no-shows."""
    now = now or timeutil.now()
    activity = session.activity
    _require(actor, "activities.manage", activity)
    if now < session.ends_at:
        raise Refused(
            code="not_ended", message=_("Attendance closes after the session ends."), status=409
        )
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.attendance_closed_at is not None:
            raise Refused(
                code="already_closed", message=_("Attendance is already closed."), status=409
            )
        count = Registration.objects.filter(
            session=session, status__in=Registration.HOLDING
        ).update(status=Status.NO_SHOW)
        Session.objects.filter(pk=session.pk).update(attendance_closed_at=now)
        audit_record(
            actor=actor,
            action="activities.session.close_attendance",
            obj=locked,
            org=activity.org,
            data={"no_shows": count},
            ip=ip,
        )
    return count


# --- staff: activities and sessions ----------------------------------------------------------


def session_create(
    *,
    actor: Any,
    activity: Activity,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    capacity: int,
    waitlist_enabled: bool = True,
    ip: str | None = None,
) -> Session:
    """A session with ``capacity`` places, all free."""
    if actor is not None:
        _require(actor, "activities.manage", activity)
    if not isinstance(capacity, int) or capacity < 1 or capacity > 100_000:
        raise Refused(
            code="invalid", message=_("Capacity is 1 to 100,000 places."), field="capacity"
        )
    if ends_at <= starts_at:
        raise Refused(code="invalid", message=_("A session ends after it starts."), field="ends_at")
    if not place.strip():
        raise Refused(
            code="required", message=_("Where does the session take place?"), field="place"
        )
    with transaction.atomic():
        session = Session.objects.create(
            activity=activity,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place.strip()[:200],
            capacity=capacity,
            places_left=capacity,
            waitlist_enabled=waitlist_enabled,
        )
        if actor is not None:
            audit_record(
                actor=actor,
                action="activities.session.create",
                obj=session,
                org=activity.org,
                data={"capacity": capacity},
                ip=ip,
            )
    return session


def session_capacity_set(
    *, actor: Any, session: Session, capacity: int, ip: str | None = None
) -> Session:
    """Change capacity; places_left moves by the same amount (never below the places held)."""
    _require(actor, "activities.manage", session.activity)
    if not isinstance(capacity, int) or capacity < 1 or capacity > 100_000:
        raise Refused(
            code="invalid", message=_("Capacity is 1 to 100,000 places."), field="capacity"
        )
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        held = locked.capacity - locked.places_left
        if capacity < held:
            raise Refused(
                code="below_held",
                message=_("%(held)s places are already taken.") % {"held": held},
                field="capacity",
            )
        Session.objects.filter(pk=session.pk).update(capacity=capacity, places_left=capacity - held)
        audit_record(
            actor=actor,
            action="activities.session.capacity",
            obj=locked,
            org=session.activity.org,
            data={"from": locked.capacity, "to": capacity},
            ip=ip,
        )
        locked.refresh_from_db()
    return locked


def session_terminal(
    *, actor: Any, session: Session, kind: str = "gate", ip: str | None = None
) -> Any:
    """The session's gate terminal (kind "gate": scans members' codes) or poster terminal (kind
    "spot_poster": members reverse-scan it), created on first use. Organisers get them without
    the codes.terminals capability because they are tied to this one session."""
    from gonghui.codes import services as codes
    from gonghui.codes.models import Terminal

    _require(actor, "activities.manage", session.activity)
    existing = Terminal.objects.filter(
        context_type="activities.session", context_id=str(session.pk), kind=kind, is_active=True
    ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        label = _("Gate") if kind == "gate" else _("Poster")
        terminal, _key = codes.terminal_create(
            actor=None,
            org=session.activity.org,
            kind=kind,
            name=f"{session.activity.title[:80]} {timeutil.to_local(session.starts_at):%m-%d %H:%M} {label}",
            context_type="activities.session",
            context_id=str(session.pk),
        )
        audit_record(
            actor=actor,
            action="activities.session.terminal",
            obj=session,
            org=session.activity.org,
            data={"terminal": terminal.pk, "kind": kind},
            ip=ip,
        )
    return terminal


def attendees_export_audit(
    *, actor: Any, session: Session, rows: int, ip: str | None = None
) -> None:
    _require(actor, "activities.view", session.activity)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="activities.attendees.export",
            obj=session,
            org=session.activity.org,
            data={"rows": rows},
            ip=ip,
        )
