"""The checkout page, the cashier's sign-in, and the member's offer pages (Django test client)."""

from __future__ import annotations

import json
import re
import uuid

from gonghui.benefits.models import Redemption
from gonghui.benefits.services import redemption_void
from gonghui.core.models import AuditEntry
from tests.benefits.factories import make_merchant, make_offer, make_store, make_terminal_with_key
from tests.factories import make_staff
from tests.pos.conftest import member_session

PASSWORD = "pass-Word-123"


def no_inline_code(html: str) -> None:
    """CSP: no inline scripts, no style attributes, no inline handlers."""
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


def redeem(client, shop, bill="100"):
    r = client.post(
        "/api/v1/pos/scan",
        data=json.dumps({"code": shop.code(), "bill": bill}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Terminal {shop.key}",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert r.status_code == 200, r.content
    return r.json()["result"]


def sign_in_member(client, member) -> None:
    client.cookies["sessionid"] = member_session(member)


# --- /pos/ ------------------------------------------------------------------------------------


def test_pos_page_anonymous_offers_key_and_cashier_sign_in(client, shop):
    r = client.get("/pos/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="pos-key-form"' in html and 'data-testid="pos-cashier-login"' in html
    assert "/static/pos/pos.js" in html and "/static/vendor/html5-qrcode.min.js" in html
    assert "unsafe-inline" not in r["Content-Security-Policy"]
    assert r["Cache-Control"] == "private, no-cache"
    no_inline_code(html)
    assert "csrftoken" in r.cookies


def test_pos_page_lists_the_cashiers_terminals_only(client, shop):
    other_store = make_store(make_merchant(shop.root), name="别家店")
    other, _key = make_terminal_with_key(other_store)
    client.force_login(shop.cashier)
    html = client.get("/pos/").content.decode()
    assert f'<option value="{shop.terminal.pk}">' in html
    assert "城关店" in html
    assert f'<option value="{other.pk}">' not in html
    no_inline_code(html)


def test_pos_page_for_a_user_without_terminals(client, shop):
    client.force_login(make_staff(None, None))
    html = client.get("/pos/").content.decode()
    assert 'data-testid="pos-no-terminals"' in html


def test_cashier_sign_in_and_out(client, shop):
    assert client.get("/pos/login/").status_code == 200
    r = client.post("/pos/login/", {"username": "cashier1", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/pos/"
    assert client.get("/pos/").context["cashier"] == shop.cashier
    assert AuditEntry.objects.filter(action="staffauth.login.success").exists()
    r = client.post("/pos/logout/")
    assert r.status_code == 302
    assert client.get("/pos/").context["cashier"] is None


def test_cashier_sign_in_refusals(client, shop):
    r = client.post("/pos/login/", {"username": "cashier1", "password": "wrong"})
    assert r.status_code == 400
    assert 'data-testid="pos-login-error"' in r.content.decode()
    assert "_auth_user_id" not in client.session
    make_staff(None, None, username="nobody")
    r = client.post("/pos/login/", {"username": "nobody", "password": PASSWORD})
    assert r.status_code == 400
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="staffauth.login.failure").count() == 2


def test_logout_needs_post(client, shop):
    assert client.get("/pos/logout/").status_code == 405


# --- member pages -----------------------------------------------------------------------------


def test_offer_pages_need_a_member(client, shop):
    for url in ("/m/offers/", "/m/offers/redemptions/"):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/m/login")


def test_offers_show_what_is_left_to_me(client, shop):
    sign_in_member(client, shop.member)
    r = client.get("/m/offers/")
    assert r.status_code == 200
    html = r.content.decode()
    no_inline_code(html)
    assert "会员八折" in html and "玉环海鲜大排档" in html and "城关店" in html
    assert re.search(r'data-testid="left-today">2<', html)
    assert re.search(r'data-testid="left-stock">10<', html)
    redeem(client, shop)
    html = client.get("/m/offers/").content.decode()
    assert re.search(r'data-testid="left-today">1<', html)
    assert re.search(r'data-testid="left-stock">9<', html)


def test_offers_filter_by_region(client, shop):
    far = make_store(make_merchant(shop.root, name="杭州书店"), region_code="330106")
    make_offer(far.merchant, title="远方九折", percent_bp=1000)
    sign_in_member(client, shop.member)
    home = client.get("/m/offers/").content.decode()  # the member's union region, 331021
    assert "会员八折" in home and "远方九折" not in home
    there = client.get("/m/offers/?region=330106").content.decode()
    assert "远方九折" in there and "会员八折" not in there
    everywhere = client.get("/m/offers/?region=all").content.decode()
    assert "远方九折" in everywhere and "会员八折" in everywhere
    bogus = client.get("/m/offers/?region=999999").content.decode()
    assert "会员八折" in bogus and "远方九折" not in bogus


def test_offers_empty(client, shop):
    shop.offer.is_active = False
    shop.offer.save()
    sign_in_member(client, shop.member)
    assert 'data-testid="offers-empty"' in client.get("/m/offers/").content.decode()


def test_my_redemptions_with_voided_flag(client, shop):
    sign_in_member(client, shop.member)
    assert (
        'data-testid="redemptions-empty"' in client.get("/m/offers/redemptions/").content.decode()
    )
    redeem(client, shop, bill="88.80")
    redeem(client, shop, bill="20")
    first = Redemption.objects.get(bill_fen=8880)
    redemption_void(redemption=first, actor=None, reason="退菜")
    r = client.get("/m/offers/redemptions/")
    html = r.content.decode()
    no_inline_code(html)
    assert html.count('data-testid="redemption"') == 2
    assert "¥88.80" in html and "¥17.76" in html and "¥71.04" in html
    assert html.count('data-testid="redemption-voided"') == 1
    assert "退菜" in html and "城关店" in html


def test_other_members_redemptions_are_not_shown(client, shop):
    from tests.factories import make_member

    redeem(client, shop)
    sign_in_member(client, make_member(shop.union))
    assert (
        'data-testid="redemptions-empty"' in client.get("/m/offers/redemptions/").content.decode()
    )


def test_h5_home_lists_offers_and_discounts(client, shop):
    sign_in_member(client, shop.member)
    html = client.get("/m/").content.decode()
    assert 'data-testid="service-offers"' in html and 'href="/m/offers/"' in html
    assert 'data-testid="service-redemptions"' in html and 'href="/m/offers/redemptions/"' in html


def test_offer_wording_is_the_one_people_use(client, shop):
    """Issue #12 item 7: 「会员八折」 beside 「优惠 20%」; Chinese says 8折, English "20% off"."""
    from django.utils import translation

    from gonghui.pos.member_views import offer_summary, percent_off_text

    sign_in_member(client, shop.member)
    html = client.get("/m/offers/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="offer-summary">8折，最多减 ¥50.00<' in html
    assert "优惠 20%" not in html
    with translation.override("zh-hans"):
        assert [percent_off_text(bp) for bp in (1000, 1500, 2000, 1250)] == [
            "9折",
            "8.5折",
            "8折",
            "8.75折",
        ]
    with translation.override("en"):
        assert offer_summary(shop.offer) == "20% off, at most ¥50.00"
