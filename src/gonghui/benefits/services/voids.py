"""Voids (refunds): everything a redemption took is given back, in the redemption's lock order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _

from gonghui.codes.models import Terminal
from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.db import service_atomic
from gonghui.core.errors import NotFound, Refused
from gonghui.core.timeutil import SHANGHAI, now
from gonghui.funds import services as funds
from gonghui.members.services import service_event_compensate

from ..models import MemberOfferUsage, Offer, Redemption
from ..pricing import period_starts
from .common import CONTEXT_TYPE, EVENT_VOID, LEDGER_VOID, _store_id_of


def _stock_return(offer: Offer) -> None:
    if offer.stock_total is None:
        return
    Offer.objects.filter(pk=offer.pk, stock_left__lt=F("stock_total")).update(
        stock_left=F("stock_left") + 1
    )


def _usage_return(*, redemption: Redemption) -> None:
    starts = period_starts(redemption.local_date)
    for period in filter(None, redemption.limits_taken.split(",")):
        MemberOfferUsage.objects.filter(
            member_id=redemption.member_id,
            offer_id=redemption.offer_id,
            period=period,
            period_start=starts[period],
            count__gte=1,
        ).update(count=F("count") - 1)


@service_atomic
def redemption_void(
    *,
    redemption: Redemption,
    actor: Any,
    reason: str,
    idempotency_key: str | None = None,
    at: dt.datetime | None = None,
) -> Redemption:
    """Void (refund) a redemption: stock and limits back, budget released, the ledger reversed,
    a ``benefits.redemption_void`` event with the negative subsidy appended. Once only: a
    repeat with the same Idempotency-Key returns the voided redemption; otherwise 409."""
    at = at or now()
    reason = (reason or "").strip()
    if not reason:
        raise Refused(code="required", message=_("Give a reason for the void."), field="reason")
    key = (idempotency_key or "").strip()[:100]
    locked = (
        Redemption.objects.select_for_update(of=("self",))
        .select_related("offer", "offer__budget", "merchant", "merchant__org")
        .filter(pk=redemption.pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    if locked.status == Redemption.Status.VOIDED:
        if key and locked.void_key == key:
            locked.replayed = True  # type: ignore[attr-defined]
            return locked
        raise Refused(
            code="already_voided", message=_("This redemption is already voided."), status=409
        )
    if locked.settlement_id is not None:
        raise Refused(
            code="already_settled",
            message=_("This redemption is in a settlement; it can no longer be voided."),
            status=409,
        )
    offer = locked.offer
    # The lock order of redemption_create: limits, budget, accounts, stock.
    _usage_return(redemption=locked)
    void_txn = None
    if locked.subsidy_fen:
        assert offer.budget is not None and locked.ledger_txn is not None
        funds.budget_release(budget=offer.budget, amount_fen=locked.subsidy_fen)
        void_txn = funds.transaction_reverse(
            txn=locked.ledger_txn,
            actor=actor if is_staff_actor(actor) else None,
            memo=_("Void of redemption #%(id)s") % {"id": locked.pk},
            kind=LEDGER_VOID,
            source=("benefits.redemption", locked.pk),
            occurred_at=at,
        )
    _stock_return(offer)
    locked.status = Redemption.Status.VOIDED
    locked.void_txn = void_txn
    locked.void_reason = reason[:200]
    locked.void_key = key
    locked.voided_at = at
    locked.voided_by = actor if is_staff_actor(actor) else None
    locked.save(
        update_fields=["status", "void_txn", "void_reason", "void_key", "voided_at", "voided_by"]
    )
    # Cancels the redemption's event: its member, org and the negative of its subsidy.
    service_event_compensate(kind=EVENT_VOID, source=locked, occurred_at=at)
    audit_record(
        actor=actor,
        action="benefits.redemption.void",
        obj=locked,
        org=locked.merchant.org,
        data={"reason": reason[:200], "subsidy_fen": locked.subsidy_fen},
    )
    return locked


@service_atomic
def redemption_void_at_terminal(
    *,
    terminal: Terminal,
    redemption_id: Any,
    actor: Any,
    reason: str,
    idempotency_key: str,
    at: dt.datetime | None = None,
) -> Redemption:
    """The cashier's void, the one rule for every terminal door: a redemption of **this
    terminal's store** (another store's or merchant's is not found: 404), made **today**
    (Asia/Shanghai; an older one is the union's business: 409 ``void_too_late``). ``actor`` is
    the signed-in cashier, or None for a terminal key."""
    at = at or now()
    if not isinstance(redemption_id, int) or isinstance(redemption_id, bool):
        raise NotFound(field="redemption_id")
    store_id = _store_id_of(terminal) if terminal.context_type == CONTEXT_TYPE else 0
    redemption = (
        Redemption.objects.filter(pk=redemption_id, store_id=store_id)
        .select_related("offer", "member", "store")
        .first()
        if store_id
        else None
    )
    if redemption is None:
        raise NotFound(field="redemption_id")
    if redemption.local_date != at.astimezone(SHANGHAI).date() and (
        redemption.status == Redemption.Status.ACTIVE
    ):
        raise Refused(
            code="void_too_late",
            message=_("A cashier can void only today's redemptions; ask the union."),
            status=409,
        )
    return redemption_void(
        redemption=redemption,
        actor=actor,
        reason=reason,
        idempotency_key=idempotency_key,
        at=at,
    )
