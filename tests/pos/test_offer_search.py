"""Keyword search on the member's offers (/m/offers/?q=): by offer title or merchant name,
keeping the area filter; no match says so."""

from __future__ import annotations

from tests.benefits.factories import make_merchant, make_offer, make_store
from tests.pos.test_pages import sign_in_member


def test_keyword_matches_title_or_merchant_and_keeps_the_area(client, shop):
    tea = make_store(make_merchant(shop.root, name="玉环茶社"), region_code="331021")
    make_offer(tea.merchant, title="奶茶第二杯半价", percent_bp=1000)
    far = make_store(make_merchant(shop.root, name="杭州茶馆"), region_code="330106")
    make_offer(far.merchant, title="远方九折", percent_bp=1000)
    sign_in_member(client, shop.member)
    by_title = client.get("/m/offers/?q=八折").content.decode()
    assert "会员八折" in by_title and "奶茶第二杯半价" not in by_title
    assert 'value="八折"' in by_title  # the box keeps the keyword
    by_merchant = client.get("/m/offers/?q=茶").content.decode()  # the member's area only
    assert "奶茶第二杯半价" in by_merchant and "远方九折" not in by_merchant
    assert "会员八折" not in by_merchant
    everywhere = client.get("/m/offers/?q=茶&region=all").content.decode()
    assert "奶茶第二杯半价" in everywhere and "远方九折" in everywhere
    assert "会员八折" not in everywhere


def test_keyword_without_a_match_says_so(client, shop):
    sign_in_member(client, shop.member)
    html = client.get("/m/offers/?q=火锅", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="offers-no-match"' in html and "火锅" in html
    assert "会员八折" not in html
    plain = client.get("/m/offers/?q=%20%20").content.decode()  # blanks: no filter
    assert "会员八折" in plain and 'data-testid="offers-no-match"' not in plain
