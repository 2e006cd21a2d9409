"""Subsidies: when a registration holds a place, the service is counted and the activity's subsidy
is taken from its budget and posted to the ledger; a cancellation releases and reverses it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.errors import Refused
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind, LedgerTransaction
from gonghui.members.services import service_event_compensate, service_event_record

from ..models import Activity, Registration


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


def _place_released(reg: Registration, *, actor: Any) -> None:
    """A registration that held a place is cancelled: the compensating event cancels its count
    and its subsidy in the figures, and the subsidy goes back to the budget through the ledger."""
    service_event_compensate(kind="activities.registration_cancelled", source=reg)
    _subsidy_release(reg, actor=actor)


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
