"""A redemption: the lock plan, in one place, top to bottom.

One database transaction takes, in this order (docs/benefits.md, "Lock order"):

1. **usage** — the member's limit counters for the day, week and month (a conditional UPDATE
   or the first INSERT of a counter): rows only this member touches;
2. **redemption and event** — the redemption row and its ``ServiceEvent`` (and the audit entry
   of a signed-in cashier): new rows, nobody waits for them;
3. **ledger rows** — ``funds.ledger_rows_write``: the ledger transaction (fund → merchant
   payable) and its entries, new rows; the redemption is pointed at the transaction;
4. **budget, then balances by key** — ``funds.ledger_settle(charge=…)``: the offer's budget,
   then the accounts by ascending pk: rows every redemption of the offer shares, each locked
   from its UPDATE to COMMIT;
5. **stock** — the offer's stock (a conditional UPDATE), the most contended row, last.

So the rows others wait for are taken last and held briefly; any refusal rolls all of it back
(``service_atomic``; a savepoint per candidate offer when several could apply). A void
(``voids.py``) gives back in the same order. Steps 1, 2 and 5 are below in that order; steps 3
and 4 are the funds ledger's two-step API.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from gonghui.codes.models import Terminal
from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.db import insert, service_atomic
from gonghui.core.errors import Refused
from gonghui.core.timeutil import SHANGHAI, now
from gonghui.funds import services as funds
from gonghui.members.models import Member
from gonghui.members.services import service_event_record

from ..bill import bill_check
from ..checkout import Checkout
from ..choice import Candidate, offer_candidates
from ..models import MemberOfferUsage, Offer, Redemption, Store, UsagePeriod
from ..pricing import PERIOD_NAMES, PERIODS, Quote, offer_limits, period_starts
from ..selectors import remaining_for
from .common import EVENT_REDEMPTION, LEDGER_SUBSIDY, _checkout_of, payable_account


@dataclass(frozen=True)
class RedeemResult:
    """A redemption and what the receipt shows with it.

    ``remaining``: what is left of the offer's stock (``stock``, None without stock) and of the
    member's uses per period (``member_today``, ``member_week``, ``member_month``; None where
    the offer has no limit), as counted by this very redemption."""

    redemption: Redemption
    remaining: dict[str, Any]


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
) -> RedeemResult:
    """The lock plan (see the module docstring) for ``offer``. Call inside a transaction."""
    local_date = at.astimezone(SHANGHAI).date()
    # 1. usage: the member's limit counters, day → week → month.
    taken, remaining = _usage_take_all(member=member, offer=offer, local_date=local_date)
    # 2. redemption and event.
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
        created_by=actor if is_staff_actor(actor) else None,
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
    if is_staff_actor(actor):
        audit_record(
            actor=actor,
            action="benefits.redemption.create",
            obj=redemption,
            org=store.merchant.org,
            data={"bill_fen": bill_fen, "discount_fen": quote.discount_fen},
        )
    if quote.subsidy_fen:
        budget = offer.budget
        if budget is None:
            raise Refused(
                code="budget_exhausted",
                message=_("This offer has no budget."),
                status=409,
            )
        payable = checkout.payable or payable_account(store.merchant)
        # 3. ledger rows: the transaction and its entries; the redemption points at it.
        posting = funds.ledger_rows_write(
            org=store.merchant.org,
            kind=LEDGER_SUBSIDY,
            entries=[(budget.account, quote.subsidy_fen), (payable, -quote.subsidy_fen)],
            memo=_("Subsidy: %(offer)s") % {"offer": offer.title[:150]},
            source=("benefits.redemption", redemption.pk),
            occurred_at=at,
        )
        if posting.replayed:  # impossible for a fresh redemption; never book twice
            raise Refused(code="conflict", message=_("Already booked."), status=409)
        _ledger_txn_set(redemption, posting.txn)
        # 4. budget, then balances by key.
        try:
            funds.ledger_settle(posting, charge=(budget, quote.subsidy_fen))
        except Refused as exc:
            if exc.code in ("budget_closed", "budget_exhausted"):
                raise _budget_refusal(exc) from None
            raise
    # 5. stock.
    remaining["stock"] = _stock_take(offer)
    return RedeemResult(redemption=redemption, remaining=remaining)


# --- 1. usage ---------------------------------------------------------------------------------
def _usage_take_all(
    *, member: Member, offer: Offer, local_date: dt.date
) -> tuple[list[str], dict[str, Any]]:
    """Count this use in each limited period, day → week → month; refuse at the first limit
    reached. Returns the periods counted and what is left to the member in each."""
    taken: list[str] = []
    remaining: dict[str, Any] = {"stock": None}
    limits = offer_limits(offer)
    starts = period_starts(local_date)
    for period in PERIODS:
        remaining[f"member_{PERIOD_NAMES[period]}"] = None
        if period not in limits:
            continue
        count = _usage_take(
            member=member, offer=offer, period=period, start=starts[period], limit=limits[period]
        )
        if count is None:
            raise _limit_refusal(period, limits[period])
        taken.append(period)
        remaining[f"member_{PERIOD_NAMES[period]}"] = max(limits[period] - count, 0)
    return taken, remaining


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


# --- 3. ledger rows ---------------------------------------------------------------------------
_LEDGER_TXN_SET = (
    f"UPDATE {connection.ops.quote_name(Redemption._meta.db_table)} "  # noqa: S608 - no input
    'SET "ledger_txn_id" = %s WHERE "id" = %s'
)


def _ledger_txn_set(redemption: Redemption, txn: Any) -> None:
    """Point the redemption at its ledger transaction (step 3, before step 4 locks shared rows)."""
    with connection.cursor() as cursor:
        cursor.execute(_LEDGER_TXN_SET, [txn.pk, redemption.pk])
    redemption.ledger_txn = txn


def _budget_refusal(exc: Refused) -> Refused:
    """The ledger's ``budget_closed`` / ``budget_exhausted`` in the words of an offer."""
    if exc.code == "budget_closed":
        return Refused(
            code="budget_exhausted",
            message=_("The union's budget for this offer is closed."),
            status=409,
        )
    return Refused(
        code="budget_exhausted",
        message=_("The union's budget for this offer is used up."),
        status=409,
    )


# --- 5. stock --------------------------------------------------------------------------------
def _stock_take(offer: Offer) -> int | None:
    """Take one from the offer's stock; returns what is left (None: the offer has no stock).

    One conditional UPDATE ... RETURNING (PostgreSQL, SQLite >= 3.35): the row lock it takes
    is held to COMMIT, so it is taken as late as possible (step 5 of the lock plan)."""
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


# --- choosing the offer ------------------------------------------------------------------------
@service_atomic
def redemption_redeem(
    *,
    terminal: Terminal,
    member: Member,
    bill_fen: Any,
    offer_id: Any = None,
    actor: Any = None,
    at: dt.datetime | None = None,
) -> RedeemResult:
    """Redeem an offer at the terminal's store: the given one, or the best eligible one.

    Takes member limits, budget and stock and books the ledger in one transaction (the lock
    plan above); refuses with offer_not_found, not_eligible, outside_window, below_threshold,
    stock_exhausted, member_limit, budget_exhausted, bill_invalid, store_inactive (and changes
    nothing). Returns the redemption with what is left (for the receipt)."""
    return _redeem(
        terminal=terminal, member=member, bill_fen=bill_fen, offer_id=offer_id, actor=actor, at=at
    )


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
    """``redemption_redeem``, for a caller that needs only the redemption."""
    return _redeem(
        terminal=terminal, member=member, bill_fen=bill_fen, offer_id=offer_id, actor=actor, at=at
    ).redemption


def _redeem(
    *,
    terminal: Terminal,
    member: Member,
    bill_fen: Any,
    offer_id: Any,
    actor: Any,
    at: dt.datetime | None,
) -> RedeemResult:
    """Check the bill and the offers, choose the best for the member, then ``_redeem_one``."""
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
    candidates, first_refusal = offer_candidates(offers=offers, member=member, bill_fen=bill, at=at)
    if not candidates:
        assert first_refusal is not None
        raise first_refusal
    # The best for the member first (``choice.best_first_key``): the largest discount, then the
    # offer ending soonest, then the oldest.
    redeem_one = partial(
        _redeem_one,
        checkout=checkout,
        store=store,
        terminal=terminal,
        member=member,
        bill_fen=bill,
        actor=actor,
        at=at,
    )
    if len(candidates) == 1:  # this function's own savepoint undoes a refusal
        return redeem_one(offer=candidates[0].offer, quote=candidates[0].quote)
    first_refusal = None
    for candidate in candidates:
        try:
            with transaction.atomic():  # a savepoint per candidate: a refusal undoes its takes
                return redeem_one(offer=candidate.offer, quote=candidate.quote)
        except Refused as exc:
            first_refusal = first_refusal or exc
    assert first_refusal is not None
    raise first_refusal


def redemption_options(
    *, terminal: Terminal, member: Member, bill_fen: Any, at: dt.datetime | None = None
) -> list[tuple[Candidate, dict[str, Any]]]:
    """The offers the cashier may choose from for ``member`` and ``bill_fen`` at the terminal's
    store, best first (``choice.best_first_key``), each with what is left to the member
    (``selectors.remaining_for``). A read, beside the redemption it prepares: the same checks
    (bill, store, eligibility, a discount on this bill), and offers the redemption would refuse
    at once (the member's limit reached, no stock, the budget too small) are left out. Raises
    what the redemption would raise when nothing applies. A single candidate comes back at once,
    without what is left (no reads beyond the store's one SELECT)."""
    at = at or now()
    bill = bill_check(bill_fen)
    checkout = _checkout_of(terminal)
    store = checkout.store
    if not store.is_active or not store.merchant.is_active:
        raise Refused(
            code="store_inactive", message=_("This store does not take offers now."), status=409
        )
    candidates, first_refusal = offer_candidates(
        offers=checkout.offers, member=member, bill_fen=bill, at=at
    )
    if not candidates:
        raise first_refusal or Refused(
            code="offer_not_found", message=_("This store has no offer running."), status=404
        )
    if len(candidates) == 1:  # nothing to choose: no more reads (the redemption checks it)
        return [(candidates[0], {})]
    day = at.astimezone(SHANGHAI).date()
    out: list[tuple[Candidate, dict[str, Any]]] = []
    for candidate in candidates:
        left = remaining_for(offer=candidate.offer, member=member, day=day)
        used_up = any(
            left[k] == 0 for k in ("stock", "member_today", "member_week", "member_month")
        )
        budget = candidate.offer.budget
        if candidate.quote.subsidy_fen and (
            budget is None
            or not budget.is_active
            or budget.left_fen < candidate.quote.subsidy_fen
            or (budget.valid_until is not None and at >= budget.valid_until)
            or (budget.valid_from is not None and at < budget.valid_from)
        ):
            used_up = True
        if not used_up:
            out.append((candidate, left))
    return out
