"""A year of merchant offers: last year's union-paid offers, redeemed at the stores' terminals
through ``benefits.services.redemption_create`` (limits, budget, ledger, event) and a few
voided through ``redemption_void`` (the reversal and the compensating event)."""

from __future__ import annotations

import datetime as dt

from gonghui.benefits import services
from gonghui.benefits.models import Offer, OfferKind, Payer, Redemption, Store
from gonghui.codes.models import Terminal
from gonghui.core.errors import Refused
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind, BudgetScope
from gonghui.members.models import Member
from gonghui.orgs.models import Org

from .calendar import Year, clock_at

REDEMPTIONS = 1_150
VOID_SHARE = 0.02
TOPUP_FEN = 30_000_000  # ¥300,000: last year's welfare money for merchant subsidies
SOURCE = "demo.history"
TITLE = "往期·工会会员消费补贴（{merchant}）"


def _offers(root: Org, year: Year, actor: object) -> list[tuple[Offer, list[Terminal]]]:
    bank = funds.account_open(org=root, kind=AccountKind.BANK)
    welfare = funds.account_open(org=root, kind=AccountKind.WELFARE)
    with clock_at(year.start):
        funds.fund_allocate(
            org=root,
            from_account=bank,
            to_account=welfare,
            amount_fen=TOPUP_FEN,
            memo="往期职工普惠福利费（商户补贴）",
            source=(SOURCE, "welfare-topup"),
            occurred_at=year.start,
        )
    out = []
    ends = year.end
    for store_merchant_id in sorted(set(Store.objects.values_list("merchant_id", flat=True))):
        stores = list(Store.objects.filter(merchant_id=store_merchant_id).order_by("pk"))
        merchant = stores[0].merchant
        title = TITLE.format(merchant=merchant.name[:40])
        terminals = list(
            Terminal.objects.filter(
                context_type=services.CONTEXT_TYPE, context_id__in=[str(s.pk) for s in stores]
            ).order_by("pk")
        )
        if not terminals:
            continue
        with clock_at(year.start):
            budget = funds.budget_create(
                org=root,
                name=title[:120],
                account=welfare,
                cap_fen=TOPUP_FEN // 8,
                scope_kind=BudgetScope.OFFER,
                source=(SOURCE, f"offer-{merchant.pk}"),
                valid_from=year.start,
                valid_until=ends,
            )
            offer = Offer.objects.create(
                merchant=merchant,
                title=title,
                kind=OfferKind.PERCENT,
                payer=Payer.UNION,
                org=root,
                budget=budget,
                percent_bp=1000,
                max_subsidy_fen=3_000,
                limit_per_day=1,
                limit_per_month=6,
                valid_from=year.start,
                valid_until=ends,
            )
        out.append((offer, terminals))
    return out


def load(*, root: Org, year: Year, members: list[Member], actor: object) -> int:
    offers = _offers(root, year, actor)
    if not offers:
        return 0
    rng = year.rng
    made: list[tuple[Redemption, dt.datetime]] = []
    for day in year.spread(REDEMPTIONS):
        offer, terminals = rng.choice(offers)
        terminal = rng.choice(terminals)
        member = rng.choice(members)
        if member.joined_on > day:
            continue
        at = year.moment(day, 9, 21)
        bill = (
            rng.choice((3_800, 5_600, 8_800, 12_000, 16_800, 23_500, 45_000))
            + rng.randrange(100) * 10
        )
        with clock_at(at):
            try:
                redemption = services.redemption_create(
                    terminal=terminal, member=member, bill_fen=bill, offer_id=offer.pk, at=at
                )
            except Refused:  # a member's limit for the day or month: the till says no
                continue
        made.append((redemption, at))
    for redemption, at in rng.sample(made, int(len(made) * VOID_SHARE)):
        later = at + dt.timedelta(minutes=rng.randrange(3, 40))
        with clock_at(later):
            services.redemption_void(
                redemption=redemption, actor=actor, reason="顾客退货，撤销优惠", at=later
            )
    return len(made)
