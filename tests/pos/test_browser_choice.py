"""In Debian's Chromium on a 390 px phone: two offers apply, the checkout page lists both with the
best one preselected, the cashier chooses the second and it is the one redeemed; the shift summary
prints without the page's chrome, and no POS page scrolls sideways at 390 px."""

from __future__ import annotations

import pytest

from gonghui.benefits.models import Redemption
from tests.benefits.factories import make_offer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-Word-123"
NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth"


def test_cashier_chooses_the_second_offer_on_a_phone(browser, live_server, shop):
    second = make_offer(shop.merchant, title="会员九折", percent_bp=1000)
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    pos = context.new_page()
    pos.set_default_timeout(15000)
    problems: list[str] = []
    # Script errors, CSP refusals, and any page resource that fails (the browser's own favicon
    # request is not a page resource); the one 409 expected is the scan that offers the choice.
    pos.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    pos.on("pageerror", lambda e: problems.append(str(e)))
    pos.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not (r.status == 409 and r.url.endswith("/api/v1/pos/scan"))
            else None
        ),
    )

    pos.goto(f"{base}/pos/login/")
    pos.fill("[data-testid=pos-username]", "cashier1")
    pos.fill("[data-testid=pos-password]", PASSWORD)
    pos.click("[data-testid=pos-login-submit]")
    pos.wait_for_url(f"{base}/pos/")
    pos.select_option("[data-testid=pos-terminal]", str(shop.terminal.pk))
    pos.click("[data-testid=pos-pick]")
    pos.wait_for_selector("[data-testid=pos-bill]", state="visible")

    pos.fill("[data-testid=pos-bill]", "100")
    pos.fill("[data-testid=pos-code]", shop.code())
    pos.click("[data-testid=pos-go]")
    pos.wait_for_selector("[data-testid=pos-choice]", state="visible")
    items = pos.locator("[data-testid=pos-choice-item]")
    assert items.count() == 2
    assert items.nth(0).get_attribute("data-offer-id") == str(shop.offer.pk)
    assert items.nth(0).locator("input").is_checked()  # the best one, preselected
    assert "最优惠" in items.nth(0).inner_text()
    assert "8折" in items.nth(0).inner_text() and "9折" in items.nth(1).inner_text()
    assert "¥80.00" in items.nth(0).inner_text() and "¥90.00" in items.nth(1).inner_text()
    assert Redemption.objects.count() == 0
    assert pos.evaluate(NO_OVERFLOW)

    items.nth(1).click()
    pos.click("[data-testid=pos-choice-go]")
    pos.wait_for_selector("[data-testid=pos-result][data-state=ok]")
    assert "会员九折" in pos.inner_text("[data-testid=pos-result]")
    assert pos.inner_text("[data-testid=pos-fact-discount]") == "¥10.00"
    assert pos.is_hidden("[data-testid=pos-choice]")
    red = Redemption.objects.get()
    assert red.offer_id == second.pk and red.discount_fen == 1000
    pos.wait_for_function("() => document.querySelectorAll('[data-testid=pos-item]').length === 1")
    assert pos.inner_text("[data-testid=pos-total-pay]") == "¥90.00"
    assert pos.evaluate(NO_OVERFLOW)

    # The shift summary: the cashier, the store, local times; printed without the bar and buttons.
    with pos.expect_navigation():
        pos.click("[data-testid=pos-shift-link]")
    assert f"terminal_id={shop.terminal.pk}" in pos.url
    assert "交班单" in pos.inner_text("[data-testid=pos-shift]")
    assert pos.inner_text("[data-testid=shift-count]") == "1"
    assert pos.inner_text("[data-testid=shift-pay]") == "¥90.00"
    assert pos.evaluate(NO_OVERFLOW)
    pos.emulate_media(media="print")
    assert pos.is_hidden(".pos-bar") and pos.is_hidden("[data-testid=pos-print]")
    assert pos.is_visible("[data-testid=shift-totals]")
    pos.emulate_media(media="screen")

    # The history: the same redemption, and no sideways scrolling on the phone either.
    pos.go_back()
    pos.wait_for_selector("[data-testid=pos-history-link]", state="visible")
    with pos.expect_navigation():
        pos.click("[data-testid=pos-history-link]")
    assert pos.locator("[data-testid=pos-line]").count() == 1
    assert pos.evaluate(NO_OVERFLOW)
    assert problems == []
    context.close()
