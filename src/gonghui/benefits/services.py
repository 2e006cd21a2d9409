"""Writes of merchant benefits: quotes, redemptions, voids, settlements, merchants.

Rules (docs/benefits.md):
- a redemption takes, in this order and in ONE database transaction: the member's limits
  (conditional UPDATE or first INSERT of a counter), writes the redemption and its
  ServiceEvent, books the ledger (fund → merchant payable) charging the offer's budget
  (``funds.transaction_post(charge=…)``), and takes the offer's stock (a conditional UPDATE)
  last: the rows all redemptions of an offer share (budget, accounts, stock) are locked from
  their UPDATE to COMMIT, so they come at the end; any refusal rolls all of it back;
- a void reverses each of these; the ServiceEvent stays (append-only) and a second event of
  kind ``benefits.redemption_void`` with the negative amount is appended;
- money is integer fen; percentages round half up (``core.money.percent_of``), in the
  member's favour.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from gonghui.codes.models import Terminal
from gonghui.core.audit import audit_record
from gonghui.core.db import insert, service_atomic
from gonghui.core.errors import NotFound, Refused
from gonghui.core.money import format_fen, percent_of
from gonghui.core.timeutil import SHANGHAI, local_today, now
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind, FundAccount
from gonghui.members.models import Member
from gonghui.members.services import service_event_record

from .checkout import PAYABLE_PARTY, Checkout, checkout_load
from .models import (
    MemberOfferUsage,
    Merchant,
    Offer,
    OfferKind,
    Payer,
    Redemption,
    Settlement,
    Store,
    UsagePeriod,
)

CONTEXT_TYPE = "benefits.store"
#: The largest bill a terminal may enter: ¥100,000.
MAX_BILL_FEN = 10_000_000
EVENT_REDEMPTION = "benefits.redemption"
EVENT_VOID = "benefits.redemption_void"
LEDGER_SUBSIDY = "benefits.subsidy"
LEDGER_VOID = "benefits.subsidy_void"
LEDGER_SETTLEMENT = "benefits.settlement"


# --- helpers ---------------------------------------------------------------------------------
def _is_user(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def bill_check(bill_fen: Any) -> int:
    """A bill is a whole number of fen, more than zero, at most ¥100,000."""
    if not isinstance(bill_fen, int) or isinstance(bill_fen, bool):
        raise Refused(
            code="bill_invalid",
            message=_("The bill must be a whole number of fen."),
            field="bill_fen",
        )
    if bill_fen <= 0:
        raise Refused(
            code="bill_invalid", message=_("The bill must be more than zero."), field="bill_fen"
        )
    if bill_fen > MAX_BILL_FEN:
        raise Refused(
            code="bill_invalid",
            message=_("The bill is more than %(max)s; check the amount.")
            % {"max": format_fen(MAX_BILL_FEN)},
            field="bill_fen",
        )
    return bill_fen


def payable_account(merchant: Merchant) -> FundAccount:
    """The union's payable to ``merchant`` (opened on first use)."""
    return funds.account_open(
        org=merchant.org,
        kind=AccountKind.MERCHANT_PAYABLE,
        party=(PAYABLE_PARTY, merchant.pk),
        name=_("Payable to %(merchant)s") % {"merchant": merchant.name[:90]},
    )


def period_starts(day: dt.date) -> dict[str, dt.date]:
    """The start of the day, ISO week (Monday) and month that contain ``day``."""
    return {
        UsagePeriod.DAY: day,
        UsagePeriod.WEEK: day - dt.timedelta(days=day.weekday()),
        UsagePeriod.MONTH: day.replace(day=1),
    }


def offer_limits(offer: Offer) -> dict[str, int]:
    """The offer's per-member limits by period (only those that are set)."""
    limits = {
        UsagePeriod.DAY: offer.limit_per_day,
        UsagePeriod.WEEK: offer.limit_per_week,
        UsagePeriod.MONTH: offer.limit_per_month,
    }
    return {period: n for period, n in limits.items() if n is not None}


# --- quotes ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quote:
    discount_fen: int
    subsidy_fen: int
    pay_fen: int
    explanation: str


def offer_quote(*, offer: Offer, member: Member | None, bill_fen: int, at: Any = None) -> Quote:
    """What ``offer`` takes off ``bill_fen``, who pays it and what the member pays.

    Pure computation (no eligibility, stock or limit checks): integer fen, percentages rounded
    half up (in the member's favour), ceilings applied to the rounded figure; a discount is
    never more than the bill. A bill below what the offer needs gives a zero discount."""
    bill = bill_check(bill_fen)
    discount = 0
    if offer.kind == OfferKind.PERCENT:
        bp = offer.percent_bp or 0
        discount = percent_of(bill, bp)
        why = _("%(pct)s off") % {"pct": f"{bp / 100:g}%"}
        if offer.max_subsidy_fen is not None and discount > offer.max_subsidy_fen:
            discount = offer.max_subsidy_fen
            why += _(", at most %(cap)s") % {"cap": format_fen(offer.max_subsidy_fen)}
    elif offer.kind == OfferKind.FIXED_THRESHOLD:
        threshold, off = offer.threshold_fen or 0, offer.amount_off_fen or 0
        why = _("%(off)s off from %(threshold)s") % {
            "off": format_fen(off),
            "threshold": format_fen(threshold),
        }
        if bill >= threshold:
            discount = off
        else:
            why += _(" (the bill is below the threshold)")
    elif offer.kind == OfferKind.FREE_ITEM:
        price = offer.list_price_fen or 0
        why = _("%(item)s free") % {"item": offer.item_name or offer.title}
        if bill >= price:
            discount = price
        else:
            why += _(" (the bill does not cover the item)")
    elif offer.kind == OfferKind.MEMBER_PRICE:
        price, member_price = offer.list_price_fen or 0, offer.member_price_fen or 0
        why = _("%(item)s at the member price %(price)s instead of %(list)s") % {
            "item": offer.item_name or offer.title,
            "price": format_fen(member_price),
            "list": format_fen(price),
        }
        if bill >= price:
            discount = max(price - member_price, 0)
        else:
            why += _(" (the bill does not cover the item)")
    else:  # pragma: no cover - choices are closed
        why = ""
    discount = max(0, min(discount, bill))
    subsidy = discount if offer.payer == Payer.UNION else 0
    payer = _("paid by the union") if subsidy else _("the merchant's own discount")
    return Quote(
        discount_fen=discount,
        subsidy_fen=subsidy,
        pay_fen=bill - discount,
        explanation=f"{why}; {payer}" if discount else why,
    )


# --- eligibility -----------------------------------------------------------------------------
def offer_at_store(offer: Offer, store: Store) -> bool:
    if offer.merchant_id != store.merchant_id:
        return False
    return offer.all_stores or offer.stores.filter(pk=store.pk).exists()


def offer_refusal(
    *, offer: Offer, member: Member, at: dt.datetime, store: Store | None = None
) -> Refused | None:
    """Why ``member`` may not use ``offer`` at ``at`` (and at ``store``), or None."""
    if not offer.is_active or (store is not None and not offer_at_store(offer, store)):
        return Refused(
            code="offer_not_found",
            message=_("This offer is not available at this store."),
            field="offer_id",
            status=404,
        )
    if member.status != Member.Status.ACTIVE:
        return Refused(
            code="not_eligible",
            message=_("Only active members can use union offers."),
            status=403,
        )
    org_path = offer.org.path
    if not member.org.path.startswith(org_path):
        return Refused(
            code="not_eligible",
            message=_("This offer is for members of %(org)s.") % {"org": offer.org.name},
            status=403,
        )
    if offer.gig_only and not member.is_gig_worker:
        return Refused(
            code="not_eligible", message=_("This offer is for gig workers only."), status=403
        )
    if (offer.valid_from and at < offer.valid_from) or (
        offer.valid_until and at >= offer.valid_until
    ):
        return Refused(
            code="outside_window", message=_("This offer is not running now."), status=409
        )
    local = at.astimezone(SHANGHAI)
    if str(local.isoweekday()) not in (offer.weekdays or "1234567"):
        return Refused(
            code="outside_window",
            message=_("This offer does not apply on this day of the week."),
            status=409,
        )
    t_from, t_until = offer.time_from, offer.time_until
    if t_from is not None or t_until is not None:
        current = local.time().replace(tzinfo=None)
        start = t_from or dt.time(0, 0)
        end = t_until or dt.time(23, 59, 59, 999999)
        inside = start <= current < end if start <= end else (current >= start or current < end)
        if not inside:
            return Refused(
                code="outside_window",
                message=_("This offer applies from %(start)s to %(end)s.")
                % {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")},
                status=409,
            )
    return None


# --- taking and giving back ------------------------------------------------------------------
def _stock_take(offer: Offer) -> int | None:
    """Take one from the offer's stock; returns what is left (None: the offer has no stock).

    One conditional UPDATE ... RETURNING (PostgreSQL, SQLite >= 3.35): the row lock it takes
    is held to COMMIT, so it is taken as late as possible (see ``_redeem_one``)."""
    if offer.stock_total is None:
        return None
    table = connection.ops.quote_name(Offer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {table} SET "stock_left" = "stock_left" - 1 '  # noqa: S608 - no user input
            'WHERE "id" = %s AND "stock_left" >= 1 RETURNING "stock_left"',
            [offer.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Refused(code="stock_exhausted", message=_("This offer has run out."), status=409)
    return int(row[0])


_LEDGER_TXN_SET = (
    f"UPDATE {connection.ops.quote_name(Redemption._meta.db_table)} "  # noqa: S608 - no input
    'SET "ledger_txn_id" = %s WHERE "id" = %s'
)


def _ledger_txn_set(redemption: Redemption, txn: Any) -> None:
    """Point the redemption at its ledger transaction (before the ledger locks shared rows)."""
    with connection.cursor() as cursor:
        cursor.execute(_LEDGER_TXN_SET, [txn.pk, redemption.pk])
    redemption.ledger_txn = txn


def _stock_return(offer: Offer) -> None:
    if offer.stock_total is None:
        return
    Offer.objects.filter(pk=offer.pk, stock_left__lt=F("stock_total")).update(
        stock_left=F("stock_left") + 1
    )


def _usage_take(
    *, member: Member, offer: Offer, period: str, start: dt.date, limit: int
) -> int | None:
    """Count one use in the period if the member is below ``limit``: returns the new count, or
    None when the member is at the limit. A conditional UPDATE ... RETURNING, or the first
    INSERT of the counter (a concurrent first use loses the unique index and retries)."""
    table = connection.ops.quote_name(MemberOfferUsage._meta.db_table)
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE {table} SET "count" = "count" + 1, "cap" = %s '  # noqa: S608 - no input
                'WHERE "member_id" = %s AND "offer_id" = %s AND "period" = %s '
                'AND "period_start" = %s AND "count" < %s RETURNING "count"',
                [limit, member.pk, offer.pk, period, start, limit],
            )
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        if (
            limit < 1
            or MemberOfferUsage.objects.filter(
                member=member, offer=offer, period=period, period_start=start
            ).exists()
        ):
            return None
        try:
            with transaction.atomic():  # a savepoint: a concurrent first use wins the INSERT
                MemberOfferUsage.objects.create(
                    member=member,
                    offer=offer,
                    period=period,
                    period_start=start,
                    count=1,
                    cap=limit,
                )
            return 1
        except IntegrityError:
            continue  # the other first use committed: count through the UPDATE again
    return None


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


def _limit_refusal(period: str, limit: int) -> Refused:
    words: dict[str, str] = {
        UsagePeriod.DAY: _("%(n)d time(s) a day"),
        UsagePeriod.WEEK: _("%(n)d time(s) a week"),
        UsagePeriod.MONTH: _("%(n)d time(s) a month"),
    }
    return Refused(
        code="member_limit",
        message=_("You have used this offer as often as allowed: %(limit)s.")
        % {"limit": words[period] % {"n": limit}},
        status=409,
        data={"period": period, "limit": limit},
    )


def _redeem_one(
    *,
    checkout: Checkout,
    offer: Offer,
    store: Store,
    terminal: Terminal | None,
    member: Member,
    bill_fen: int,
    quote: Quote,
    actor: Any,
    at: dt.datetime,
) -> Redemption:
    """Take stock, limits and budget for ``offer`` and book it. Call inside a transaction."""
    local_date = at.astimezone(SHANGHAI).date()
    # 1. What only this member touches: the limit counters, the row, the service event.
    taken: list[str] = []
    remaining: dict[str, Any] = {"stock": None}
    names = {UsagePeriod.DAY: "today", UsagePeriod.WEEK: "week", UsagePeriod.MONTH: "month"}
    limits = offer_limits(offer)
    starts = period_starts(local_date)
    for period in (UsagePeriod.DAY, UsagePeriod.WEEK, UsagePeriod.MONTH):
        remaining[f"member_{names[period]}"] = None
        if period not in limits:
            continue
        count = _usage_take(
            member=member, offer=offer, period=period, start=starts[period], limit=limits[period]
        )
        if count is None:
            raise _limit_refusal(period, limits[period])
        taken.append(period)
        remaining[f"member_{names[period]}"] = max(limits[period] - count, 0)
    redemption = Redemption(
        offer=offer,
        merchant_id=store.merchant_id,
        store=store,
        terminal=terminal,
        member=member,
        bill_fen=bill_fen,
        discount_fen=quote.discount_fen,
        subsidy_fen=quote.subsidy_fen,
        pay_fen=quote.pay_fen,
        created_by=actor if _is_user(actor) else None,
        limits_taken=",".join(taken),
        local_date=local_date,
        created_at=at,
    )
    insert(redemption)
    service_event_record(
        member=member,
        kind=EVENT_REDEMPTION,
        source=redemption,
        amount_fen=quote.subsidy_fen,
        occurred_at=at,
    )
    if _is_user(actor):
        audit_record(
            actor=actor,
            action="benefits.redemption.create",
            obj=redemption,
            org=store.merchant.org,
            data={"bill_fen": bill_fen, "discount_fen": quote.discount_fen},
        )
    # 2. The rows every redemption of this offer shares, each locked to COMMIT, so taken last
    #    and in the fixed order: the budget and the ledger's accounts (``funds``), then the
    #    offer's stock.
    if quote.subsidy_fen:
        budget = offer.budget
        if budget is None:
            raise Refused(
                code="budget_exhausted",
                message=_("This offer has no budget."),
                status=409,
            )
        payable = checkout.payable or payable_account(store.merchant)
        try:
            txn = funds.transaction_post(
                org=store.merchant.org,
                kind=LEDGER_SUBSIDY,
                entries=[(budget.account, quote.subsidy_fen), (payable, -quote.subsidy_fen)],
                memo=_("Subsidy: %(offer)s") % {"offer": offer.title[:150]},
                source=("benefits.redemption", redemption.pk),
                occurred_at=at,
                charge=(budget, quote.subsidy_fen),
                written=lambda txn: _ledger_txn_set(redemption, txn),
            )
        except Refused as exc:
            if exc.code == "budget_closed":
                raise Refused(
                    code="budget_exhausted",
                    message=_("The union's budget for this offer is closed."),
                    status=409,
                ) from None
            if exc.code == "budget_exhausted":
                raise Refused(
                    code="budget_exhausted",
                    message=_("The union's budget for this offer is used up."),
                    status=409,
                ) from None
            raise
        if getattr(txn, "replayed", False):  # impossible for a fresh redemption; never book twice
            raise Refused(code="conflict", message=_("Already booked."), status=409)
    remaining["stock"] = _stock_take(offer)
    redemption._remaining = remaining  # type: ignore[attr-defined]  # for the receipt
    return redemption


def _store_id_of(terminal: Terminal) -> int:
    """The id of the terminal's store (0 when its context id is not a number)."""
    if terminal.context_type != CONTEXT_TYPE:
        raise Refused(
            code="store_not_found",
            message=_("This terminal does not belong to a store."),
            status=409,
        )
    return int(terminal.context_id) if terminal.context_id.isdigit() else 0


def _store_missing() -> Refused:
    return Refused(
        code="store_not_found", message=_("This terminal's store does not exist."), status=404
    )


def store_of_terminal(terminal: Terminal) -> Store:
    store = (
        Store.objects.select_related("merchant", "merchant__org")
        .filter(pk=_store_id_of(terminal))
        .first()
    )
    if store is None:
        raise _store_missing()
    return store


def _checkout_of(terminal: Terminal) -> Checkout:
    """The terminal's store with its merchant, offers, budgets and payable (one SELECT)."""
    checkout = checkout_load(_store_id_of(terminal))
    if checkout is None:
        raise _store_missing()
    return checkout


@service_atomic
def redemption_create(
    *,
    terminal: Terminal,
    member: Member,
    bill_fen: Any,
    offer_id: Any = None,
    actor: Any = None,
    at: dt.datetime | None = None,
) -> Redemption:
    """Redeem an offer at the terminal's store: the given one, or the best eligible one.

    Takes stock, member limits and budget and books the ledger in one transaction; refuses with
    offer_not_found, not_eligible, outside_window, below_threshold, stock_exhausted,
    member_limit, budget_exhausted, bill_invalid, store_inactive (and changes nothing)."""
    at = at or now()
    bill = bill_check(bill_fen)
    if offer_id is not None and (
        not isinstance(offer_id, int) or isinstance(offer_id, bool) or offer_id <= 0
    ):
        raise Refused(
            code="offer_not_found",
            message=_("The offer must be given by its number."),
            field="offer_id",
            status=404,
        )
    checkout = _checkout_of(terminal)
    store = checkout.store
    if not store.is_active or not store.merchant.is_active:
        raise Refused(
            code="store_inactive", message=_("This store does not take offers now."), status=409
        )
    offers = checkout.offers  # active, at this store
    if offer_id is not None:
        offers = [o for o in offers if o.pk == offer_id]
        if not offers:
            raise Refused(
                code="offer_not_found",
                message=_("This offer is not available at this store."),
                field="offer_id",
                status=404,
            )
    if not offers:
        raise Refused(
            code="offer_not_found",
            message=_("This store has no offer running."),
            status=404,
        )
    candidates: list[tuple[Offer, Quote]] = []
    first_refusal: Refused | None = None
    for offer in offers:
        refusal = offer_refusal(offer=offer, member=member, at=at)
        if refusal is None:
            quote = offer_quote(offer=offer, member=member, bill_fen=bill, at=at)
            if quote.discount_fen > 0:
                candidates.append((offer, quote))
                continue
            refusal = Refused(
                code="below_threshold",
                message=_("The bill is too small for this offer: %(why)s.")
                % {"why": quote.explanation},
                field="bill_fen",
                status=409,
            )
        first_refusal = first_refusal or refusal
    if not candidates:
        assert first_refusal is not None
        raise first_refusal
    # The best for the member first: the largest discount, then the oldest offer.
    candidates.sort(key=lambda c: (-c[1].discount_fen, c[0].pk))
    if len(candidates) == 1:  # this function's own savepoint undoes a refusal
        offer, quote = candidates[0]
        return _redeem_one(
            checkout=checkout,
            offer=offer,
            store=store,
            terminal=terminal,
            member=member,
            bill_fen=bill,
            quote=quote,
            actor=actor,
            at=at,
        )
    first_refusal = None
    for offer, quote in candidates:
        try:
            with transaction.atomic():  # a savepoint per candidate: a refusal undoes its takes
                return _redeem_one(
                    checkout=checkout,
                    offer=offer,
                    store=store,
                    terminal=terminal,
                    member=member,
                    bill_fen=bill,
                    quote=quote,
                    actor=actor,
                    at=at,
                )
        except Refused as exc:
            first_refusal = first_refusal or exc
    assert first_refusal is not None
    raise first_refusal


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
            actor=actor if _is_user(actor) else None,
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
    locked.voided_by = actor if _is_user(actor) else None
    locked.save(
        update_fields=["status", "void_txn", "void_reason", "void_key", "voided_at", "voided_by"]
    )
    service_event_record(
        member=locked.member,
        kind=EVENT_VOID,
        source=locked,
        amount_fen=-locked.subsidy_fen,
        occurred_at=at,
    )
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


# --- the scan handler (codes dispatch) -------------------------------------------------------
def masked_name(name: str) -> str:
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def remaining_for(*, offer: Offer, member: Member, day: dt.date | None = None) -> dict[str, Any]:
    """What is left of ``offer``: its stock and, per limit, what ``member`` may still use."""
    day = day or local_today()
    starts = period_starts(day)
    limits = offer_limits(offer)
    counts = dict(
        MemberOfferUsage.objects.filter(
            member=member,
            offer=offer,
            period__in=list(limits),
        )
        .filter(
            Q(period=UsagePeriod.DAY, period_start=starts[UsagePeriod.DAY])
            | Q(period=UsagePeriod.WEEK, period_start=starts[UsagePeriod.WEEK])
            | Q(period=UsagePeriod.MONTH, period_start=starts[UsagePeriod.MONTH])
        )
        .values_list("period", "count")
    )
    stock = (
        Offer.objects.values_list("stock_left", flat=True).get(pk=offer.pk)
        if offer.stock_total is not None
        else None
    )
    names = {UsagePeriod.DAY: "today", UsagePeriod.WEEK: "week", UsagePeriod.MONTH: "month"}
    out: dict[str, Any] = {"stock": stock}
    for period in (UsagePeriod.DAY, UsagePeriod.WEEK, UsagePeriod.MONTH):
        key = f"member_{names[period]}"
        out[key] = max(limits[period] - counts.get(period, 0), 0) if period in limits else None
    return out


def receipt(redemption: Redemption) -> dict[str, Any]:
    offer, member = redemption.offer, redemption.member
    return {
        "redemption_id": redemption.pk,
        "offer": {"id": offer.pk, "title": offer.title, "kind": offer.kind},
        "store": {"id": redemption.store_id, "name": redemption.store.name},
        "bill_fen": redemption.bill_fen,
        "discount_fen": redemption.discount_fen,
        "pay_fen": redemption.pay_fen,
        "subsidy_fen": redemption.subsidy_fen,
        "status": str(redemption.status),
        "created_at": redemption.created_at.isoformat(),
        "member": {"name": masked_name(member.name), "member_no": member.member_no},
        "remaining": getattr(redemption, "_remaining", None)
        or remaining_for(offer=offer, member=member, day=redemption.local_date),
    }


def scan_handler(*, terminal: Terminal, member: Member, payload: dict[str, Any]) -> dict[str, Any]:
    """``benefits.store`` scans: payload {"bill_fen": int, "offer_id": optional int}."""
    if not isinstance(payload, dict) or "bill_fen" not in payload:
        raise Refused(code="bill_invalid", message=_("Enter the bill amount."), field="bill_fen")
    redemption = redemption_create(
        terminal=terminal,
        member=member,
        bill_fen=payload.get("bill_fen"),
        offer_id=payload.get("offer_id"),
    )
    return receipt(redemption)


# --- merchants -------------------------------------------------------------------------------
@transaction.atomic
def merchant_create(
    *,
    org: Any,
    name: str,
    uscc: str,
    actor: Any = None,
    contact_name: str = "",
    contact_phone: str = "",
    settlement_account: str = "",
) -> Merchant:
    """A merchant with its payable account opened."""
    from gonghui.core.identifiers import InvalidIdentifier, validate_uscc

    try:
        clean = validate_uscc(uscc)
    except InvalidIdentifier:
        raise Refused(
            code="uscc_invalid",
            message=_("Not a valid unified social credit code."),
            field="uscc",
        ) from None
    if not (name or "").strip():
        raise Refused(code="required", message=_("A merchant needs a name."), field="name")
    if Merchant.objects.filter(uscc=clean).exists():
        raise Refused(
            code="uscc_taken", message=_("A merchant with this code exists."), field="uscc"
        )
    merchant = Merchant.objects.create(
        org=org,
        name=name.strip()[:120],
        uscc=clean,
        contact_name=contact_name,
        contact_phone=contact_phone,
        settlement_account=settlement_account,
    )
    payable_account(merchant)
    if _is_user(actor):
        audit_record(actor=actor, action="benefits.merchant.create", obj=merchant, org=org)
    return merchant


def offer_stock_init(offer: Offer) -> None:
    """Set ``stock_left`` when an offer is created (or its total stock is first set)."""
    if offer.stock_total is None:
        Offer.objects.filter(pk=offer.pk).update(stock_left=None)
    elif offer.stock_left is None:
        Offer.objects.filter(pk=offer.pk).update(stock_left=offer.stock_total)


@transaction.atomic
def offer_stock_set(*, offer: Offer, stock_total: int | None, actor: Any) -> Offer:
    """Change an offer's total stock under a row lock; what is left moves by the same amount,
    and the total may not go below what has been used."""
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if stock_total is None:
        locked.stock_total, locked.stock_left = None, None
    else:
        used = (
            locked.redemptions.filter(status=Redemption.Status.ACTIVE).count()
            if locked.stock_total is None
            else locked.stock_total - (locked.stock_left or 0)
        )
        if stock_total < used:
            raise Refused(
                code="stock_below_used",
                message=_("The stock may not be less than what is used (%(n)d).") % {"n": used},
                field="stock_total",
            )
        locked.stock_total, locked.stock_left = stock_total, stock_total - used
    locked.save(update_fields=["stock_total", "stock_left"])
    if _is_user(actor):
        audit_record(
            actor=actor,
            action="benefits.offer.stock",
            obj=locked,
            org=locked.merchant.org,
            data={"stock_total": stock_total},
        )
    return locked


# --- settlements -----------------------------------------------------------------------------
@transaction.atomic
def settlement_create(
    *, merchant: Merchant, period_start: dt.date, period_end: dt.date, actor: Any
) -> Settlement:
    """Gather the merchant's unsettled, active, union-paid redemptions of [start, end] (local
    dates, end included, days already over) into a draft settlement."""
    if period_end < period_start:
        raise Refused(
            code="invalid_period",
            message=_("The end of the period must not be before its start."),
            field="period_end",
        )
    if period_end >= local_today():
        raise Refused(
            code="period_open",
            message=_("Settle only days that are over (up to yesterday)."),
            field="period_end",
        )
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()  # one settler at a time
    rows = Redemption.objects.select_for_update().filter(
        merchant=merchant,
        status=Redemption.Status.ACTIVE,
        settlement__isnull=True,
        subsidy_fen__gt=0,
        local_date__gte=period_start,
        local_date__lte=period_end,
    )
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        raise Refused(
            code="nothing_to_settle",
            message=_("No unsettled union-paid redemptions in this period."),
        )
    settlement = Settlement.objects.create(
        merchant=merchant,
        period_start=period_start,
        period_end=period_end,
        created_by=actor if _is_user(actor) else None,
    )
    Redemption.objects.filter(pk__in=ids).update(settlement=settlement)
    total = Redemption.objects.filter(settlement=settlement).aggregate(t=Sum("subsidy_fen"))["t"]
    settlement.total_subsidy_fen = int(total or 0)
    settlement.count = len(ids)
    settlement.save(update_fields=["total_subsidy_fen", "count"])
    audit_record(
        actor=actor,
        action="benefits.settlement.create",
        obj=settlement,
        org=merchant.org,
        data={
            "period": [period_start.isoformat(), period_end.isoformat()],
            "total_subsidy_fen": settlement.total_subsidy_fen,
            "count": settlement.count,
        },
    )
    return settlement


@transaction.atomic
def settlement_mark_paid(*, settlement: Settlement, actor: Any) -> Settlement:
    """Record the payment: merchant payable → the managing union's bank account (ledger)."""
    locked = (
        Settlement.objects.select_for_update(of=("self",))
        .select_related("merchant", "merchant__org")
        .get(pk=settlement.pk)
    )
    if locked.status == Settlement.Status.PAID:
        raise Refused(
            code="already_paid", message=_("This settlement is already paid."), status=409
        )
    merchant = locked.merchant
    bank = funds.account_open(org=merchant.org, kind=AccountKind.BANK)
    txn = funds.transaction_post(
        org=merchant.org,
        kind=LEDGER_SETTLEMENT,
        entries=[
            (payable_account(merchant), locked.total_subsidy_fen),
            (bank, -locked.total_subsidy_fen),
        ],
        memo=_("Settlement %(period)s") % {"period": f"{locked.period_start}–{locked.period_end}"},
        source=("benefits.settlement", locked.pk),
        actor=actor,
    )
    locked.status = Settlement.Status.PAID
    locked.paid_txn = txn
    locked.paid_at = now()
    locked.paid_by = actor if _is_user(actor) else None
    locked.save(update_fields=["status", "paid_txn", "paid_at", "paid_by"])
    audit_record(
        actor=actor,
        action="benefits.settlement.paid",
        obj=locked,
        org=merchant.org,
        data={"total_subsidy_fen": locked.total_subsidy_fen, "transaction": txn.pk},
    )
    return locked


def settlement_statement_xlsx(settlement: Settlement) -> bytes:
    """The settlement statement as an .xlsx workbook: a summary, then one line per redemption."""
    from gonghui.core.xlsx import workbook

    buffer = io.BytesIO()
    book = workbook(buffer)
    sheet = book.add_worksheet(_("Statement")[:31])
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    merchant = settlement.merchant
    head = [
        (_("Merchant"), merchant.name),
        (_("Unified social credit code"), merchant.uscc),
        (_("Settlement account"), merchant.settlement_account),
        (_("Managing union"), merchant.org.name),
        (_("Period"), f"{settlement.period_start} – {settlement.period_end}"),
        (_("Redemptions"), settlement.count),
        (_("Total subsidy (yuan)"), settlement.total_subsidy_fen / 100),
        (_("Status"), str(settlement.get_status_display())),
    ]
    for row, (label, value) in enumerate(head):
        sheet.write(row, 0, str(label), bold)
        if isinstance(value, float):
            sheet.write_number(row, 1, value, money)
        else:
            sheet.write(row, 1, value)
    columns = [
        _("No."),
        _("Time"),
        _("Store"),
        _("Offer"),
        _("Member number"),
        _("Bill (yuan)"),
        _("Discount (yuan)"),
        _("Union subsidy (yuan)"),
        _("Member paid (yuan)"),
    ]
    top = len(head) + 1
    for col, label in enumerate(columns):
        sheet.write(top, col, str(label), bold)
    rows = settlement.redemptions.select_related("store", "offer", "member").order_by(
        "created_at", "pk"
    )
    r = top
    for r, red in enumerate(rows, start=top + 1):
        sheet.write_number(r, 0, red.pk)
        sheet.write(r, 1, red.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))
        sheet.write(r, 2, red.store.name)
        sheet.write(r, 3, red.offer.title)
        sheet.write(r, 4, red.member.member_no)
        for col, fen in enumerate(
            (red.bill_fen, red.discount_fen, red.subsidy_fen, red.pay_fen), start=5
        ):
            sheet.write_number(r, col, fen / 100, money)
    sheet.write(r + 1, 0, str(_("Total")), bold)
    sheet.write_number(r + 1, 7, settlement.total_subsidy_fen / 100, money)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 8, 16)
    book.close()
    return buffer.getvalue()
