"""The cashier's void rule lives in the service (``redemption_void_at_terminal``, issue #10):
only this terminal's store, only today; whatever door the cashier came through."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.benefits import services
from gonghui.benefits.models import Redemption
from gonghui.core.errors import NotFound, Refused
from gonghui.core.timeutil import SHANGHAI

from .conftest import snapshot
from .factories import World, make_offer, make_store, make_terminal

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    w = World()
    make_offer(w.merchant, percent_bp=2000, stock_total=10)
    return w


def void(terminal, redemption_id, key="v-1"):
    return services.redemption_void_at_terminal(
        terminal=terminal,
        redemption_id=redemption_id,
        actor=None,
        reason="错单",
        idempotency_key=key,
    )


def test_voids_todays_redemption_of_this_store(world):
    red = services.redemption_create(terminal=world.terminal, member=world.member, bill_fen=3_000)
    assert void(world.terminal, red.pk).status == Redemption.Status.VOIDED
    assert void(world.terminal, red.pk).status == Redemption.Status.VOIDED  # a retry


def test_another_store_or_merchant_is_not_found(world):
    red = services.redemption_create(terminal=world.terminal, member=world.member, bill_fen=3_000)
    sister = make_terminal(make_store(world.merchant))
    other = World()
    before = snapshot()
    for terminal in (sister, other.terminal):
        with pytest.raises(NotFound):
            void(terminal, red.pk)
    for bogus in (None, "1", True, 10**9):
        with pytest.raises(NotFound):
            void(world.terminal, bogus)
    assert snapshot() == before


def test_yesterdays_redemption_is_the_unions_business(world):
    yesterday = dt.datetime.now(tz=SHANGHAI) - dt.timedelta(days=1)
    red = services.redemption_create(
        terminal=world.terminal, member=world.member, bill_fen=3_000, at=yesterday
    )
    before = snapshot()
    with pytest.raises(Refused) as refused:
        void(world.terminal, red.pk)
    assert refused.value.code == "void_too_late" and refused.value.status == 409
    assert snapshot() == before
