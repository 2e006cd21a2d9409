"""Fixtures of the checkout and offer-page tests: a union with a member, a merchant with a store,
its POS terminal (and key), a cashier, and a union-paid offer (20% off, stock 10, 2 a day)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore

from gonghui.benefits.models import MerchantStaff, Offer
from gonghui.codes import protocol
from gonghui.codes import services as code_services
from gonghui.members.session import SESSION_MEMBER_KEY
from tests.benefits.factories import make_merchant, make_offer, make_store, make_terminal_with_key
from tests.factories import make_member, make_staff, org_child, org_root


@dataclass
class Shop:
    root: Any
    union: Any
    member: Any
    merchant: Any
    store: Any
    terminal: Any
    key: str
    offer: Offer
    cashier: Any
    credential: Any
    seed: bytes
    seq: int = 0

    def code(self) -> str:
        """A fresh valid code of the member (the next sequence number in this time step)."""
        self.seq += 1
        step = protocol.time_step(dt.datetime.now(tz=dt.UTC).timestamp())
        return protocol.encode(
            seed=self.seed, credential_id=self.credential.pk, step=step, seq=self.seq
        )


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop(db) -> Shop:
    root = org_root(region_code="331021")
    union = org_child(root)
    member = make_member(union)
    merchant = make_merchant(root, name="玉环海鲜大排档")
    store = make_store(merchant, name="城关店", address="玉城街道环城路1号")
    terminal, key = make_terminal_with_key(store)
    offer = make_offer(
        merchant,
        title="会员八折",
        percent_bp=2000,
        max_subsidy_fen=5000,
        stock_total=10,
        limit_per_day=2,
    )
    cashier = make_staff(None, None, username="cashier1")
    cashier.is_staff = False
    cashier.save(update_fields=["is_staff"])
    MerchantStaff.objects.create(user=cashier, merchant=merchant)
    credential, seed = code_services.credential_issue(member=member)
    return Shop(
        root=root,
        union=union,
        member=member,
        merchant=merchant,
        store=store,
        terminal=terminal,
        key=key,
        offer=offer,
        cashier=cashier,
        credential=credential,
        seed=seed,
    )


def member_session(member) -> str:
    """A session key of a signed-in member (for test clients and browsers)."""
    session = SessionStore()
    session[SESSION_MEMBER_KEY] = member.pk
    session.create()
    return str(session.session_key)
