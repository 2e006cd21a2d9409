"""Lottery allocation: commit to a secret seed before the window opens, run the draw after it
closes (a verifiable proof), publish the result."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import crypto, timeutil
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused

from .. import draw as draw_algo
from .. import rules
from ..models import Allocation, Draw, Registration, Session
from ..selectors import no_show_count
from ._common import (
    PURPOSE_DRAW_SEED,
    Status,
    _msg,
    _notify,
    _require,
)
from .subsidies import _place_granted


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
                _msg(
                    "activities.draw_won",
                    gettext_lazy("You won the draw for %(title)s."),
                    title=activity.title,
                )
                if reg.pk in winners
                else _msg(
                    "activities.draw_waitlisted",
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
