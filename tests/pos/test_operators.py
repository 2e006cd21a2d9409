"""One front door for cashiers (issue #10, item 2): who may operate which terminal.

A cashier operates only the terminals of the stores of the merchant that employs them; union
staff operate terminals of their subtree only with the explicit capability ``pos.operate``
(federation and union admins, venue keepers, organisers). Every other role gets 404 on the
single cashier API (``/api/v1/pos/``: terminal, scan, today, void), on the staff session of
``/api/v1/codes/scan``, and does not see the terminal on the ``/pos/`` page."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from gonghui.benefits import services as benefits_services
from gonghui.benefits.models import MerchantStaff, Redemption
from gonghui.codes import services as code_services
from gonghui.codes.models import ScanRecord, Terminal
from gonghui.orgs.models import Role
from tests.benefits.factories import make_merchant, make_offer, make_store, make_terminal_with_key
from tests.factories import make_staff

API = "/api/v1/pos/"

OPERATORS = [Role.FEDERATION_ADMIN, Role.UNION_ADMIN, Role.VENUE_KEEPER, Role.ORGANISER]
NOT_OPERATORS = [
    Role.AUDITOR,
    Role.LAWYER,
    Role.REVIEWER,
    Role.CASE_WORKER,
    Role.EMPLOYER_STAFF,
    Role.MERCHANT_STAFF,  # the role alone: a cashier is employed by a merchant (MerchantStaff)
]


def session(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(client, path, body, **headers):
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def attempts(client, shop, terminal: Terminal) -> dict[str, int]:
    """Status of each cashier action at ``terminal`` (a redemption of its store is voided)."""
    red = benefits_services.redemption_create(terminal=terminal, member=shop.member, bill_fen=5_000)
    out = {
        "terminal": client.get(API + f"terminal?terminal_id={terminal.pk}").status_code,
        "today": client.get(API + f"today?terminal_id={terminal.pk}").status_code,
        "scan": post(
            client,
            API + "scan",
            {"code": shop.code(), "bill": "30", "terminal_id": terminal.pk},
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        ).status_code,
        "codes_scan": post(
            client,
            "/api/v1/codes/scan",
            {"code": shop.code(), "payload": {"bill_fen": 3000}, "terminal_id": terminal.pk},
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        ).status_code,
        "void": post(
            client,
            API + "void",
            {"redemption_id": red.pk, "reason": "错单", "terminal_id": terminal.pk},
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        ).status_code,
    }
    red.refresh_from_db()
    out["voided"] = red.status == Redemption.Status.VOIDED
    listed = f'<option value="{terminal.pk}">' in client.get("/pos/").content.decode()
    out["listed"] = listed
    return out


@pytest.fixture
def limits_off(shop):
    shop.offer.limit_per_day = None
    shop.offer.save(update_fields=["limit_per_day"])


@pytest.mark.parametrize("role", OPERATORS)
def test_roles_with_pos_operate_operate_the_terminals_of_their_subtree(shop, limits_off, role):
    client = session(make_staff(shop.root, role))
    assert attempts(client, shop, shop.terminal) == {
        "terminal": 200,
        "today": 200,
        "scan": 200,
        "codes_scan": 200,
        "void": 200,
        "voided": True,
        "listed": True,
    }


@pytest.mark.parametrize("role", NOT_OPERATORS)
def test_other_roles_get_404_everywhere(shop, limits_off, role):
    client = session(make_staff(shop.root, role))
    before = Redemption.objects.count()
    assert attempts(client, shop, shop.terminal) == {
        "terminal": 404,
        "today": 404,
        "scan": 404,
        "codes_scan": 404,
        "void": 404,
        "voided": False,
        "listed": False,
    }
    assert Redemption.objects.count() == before + 1  # only the one the test made
    assert ScanRecord.objects.count() == 0


@pytest.mark.parametrize("role", OPERATORS)
def test_operators_reach_only_their_subtree(shop, limits_off, role):
    """A role at the grassroots union does not reach a terminal of the federation above."""
    client = session(make_staff(shop.union, role))
    assert attempts(client, shop, shop.terminal)["terminal"] == 404


def test_the_cashier_operates_only_their_merchants_stores(shop, limits_off):
    # As in the demo and the console: merchant staff who also hold the role at the federation.
    from gonghui.orgs.models import RoleAssignment

    shop.cashier.is_staff = True
    shop.cashier.save(update_fields=["is_staff"])
    RoleAssignment.objects.create(user=shop.cashier, org=shop.root, role=Role.MERCHANT_STAFF)
    own_second_store = make_store(shop.merchant, name="二店")
    own_second, _key = make_terminal_with_key(own_second_store)
    other_merchant = make_merchant(shop.root, name="别家")
    other_store = make_store(other_merchant)
    make_offer(other_merchant)
    other, _key = make_terminal_with_key(other_store)
    gate, _key = code_services.terminal_create(
        actor=None,
        org=shop.root,
        kind="gate",
        name="场馆门禁",
        context_type="venues.venue",
        context_id="1",
    )
    client = session(shop.cashier)
    mine = attempts(client, shop, shop.terminal)
    assert mine["scan"] == mine["void"] == 200 and mine["listed"]
    assert attempts(client, shop, own_second)["terminal"] == 200
    theirs = attempts(client, shop, other)
    assert theirs == {
        "terminal": 404,
        "today": 404,
        "scan": 404,
        "codes_scan": 404,
        "void": 404,
        "voided": False,
        "listed": False,
    }
    assert client.get(API + f"terminal?terminal_id={gate.pk}").status_code == 404
    page = client.get("/pos/").content.decode()
    assert f'<option value="{gate.pk}">' not in page


def test_a_merchant_that_no_longer_employs_the_cashier(shop):
    MerchantStaff.objects.filter(user=shop.cashier).delete()
    client = session(shop.cashier)
    assert client.get(API + f"terminal?terminal_id={shop.terminal.pk}").status_code == 404


def test_voiding_another_merchants_redemption_is_404(shop, limits_off):
    """At the cashier's own terminal, a redemption of another merchant's store is not found."""
    other_merchant = make_merchant(shop.root, name="别家")
    other_store = make_store(other_merchant)
    make_offer(other_merchant)
    other, _key = make_terminal_with_key(other_store)
    theirs = benefits_services.redemption_create(terminal=other, member=shop.member, bill_fen=5_000)
    client = session(shop.cashier)
    r = post(
        client,
        API + "void",
        {"redemption_id": theirs.pk, "reason": "x", "terminal_id": shop.terminal.pk},
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert r.status_code == 404
    # and with the terminal's own key
    r = post(
        Client(),
        API + "void",
        {"redemption_id": theirs.pk, "reason": "x"},
        HTTP_AUTHORIZATION=f"Terminal {shop.key}",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert r.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Redemption.Status.ACTIVE


def test_there_is_one_cashier_api(shop):
    """The benefits app's cashier endpoints are folded into /api/v1/pos/."""
    client = session(shop.cashier)
    red = benefits_services.redemption_create(
        terminal=shop.terminal, member=shop.member, bill_fen=5_000
    )
    assert client.get("/api/v1/benefits/cashier/me").status_code == 404
    assert client.get("/api/v1/benefits/cashier/store/today").status_code == 404
    r = post(
        client,
        f"/api/v1/benefits/cashier/redemptions/{red.pk}/void",
        {"reason": "x"},
        HTTP_IDEMPOTENCY_KEY="v-1",
    )
    assert r.status_code == 404
    red.refresh_from_db()
    assert red.status == Redemption.Status.ACTIVE
    # What the old door said is on the one door: the terminals a cashier may operate.
    body = client.get(API + "terminals").json()
    assert [t["id"] for t in body["terminals"]] == [shop.terminal.pk]
    assert body["terminals"][0]["place"] == "玉环海鲜大排档 · 城关店"
