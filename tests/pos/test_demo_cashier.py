"""The demo's cashier (merchant staff, held at the root federation) works on `make run` and
reaches only the stores of the merchant that employs it — not the other merchants' stores,
venue gates or fair booths (issue #10, item 2)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from gonghui.benefits.models import MerchantStaff, Store
from gonghui.codes.models import Terminal
from gonghui.demo import data
from gonghui.orgs.models import Role
from gonghui.pos.selectors import terminals_for_cashier


@pytest.fixture
def demo(db):
    call_command("demo", stdout=io.StringIO())


def test_the_demo_cashier_reaches_only_its_merchants_stores(demo, client):
    username = next(s.username for s in data.STAFF if s.role == Role.MERCHANT_STAFF)
    cashier = get_user_model().objects.get(username=username)
    merchants = list(MerchantStaff.objects.filter(user=cashier).values_list("merchant", flat=True))
    assert len(merchants) == 1
    own_stores = {
        str(pk)
        for pk in Store.objects.filter(merchant__in=merchants, is_active=True).values_list(
            "pk", flat=True
        )
    }
    own = set(
        Terminal.objects.filter(
            context_type="benefits.store", context_id__in=own_stores
        ).values_list("pk", flat=True)
    )
    reach = set(terminals_for_cashier(cashier).values_list("pk", flat=True))
    assert reach == own and own
    assert Terminal.objects.exclude(pk__in=own).exclude(kind=Terminal.Kind.SPOT_POSTER).exists()
    # Signed in with the printed password, the page lists exactly those and a scan works there.
    assert (
        client.post("/pos/login/", {"username": username, "password": data.PASSWORD}).status_code
        == 302
    )
    page = client.get("/pos/").content.decode()
    for terminal in Terminal.objects.all():
        assert (f'<option value="{terminal.pk}">' in page) == (terminal.pk in own), terminal
    outsider = Terminal.objects.exclude(pk__in=own).first()
    assert client.get(f"/api/v1/pos/terminal?terminal_id={outsider.pk}").status_code == 404
