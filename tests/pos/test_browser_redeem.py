"""End to end in Debian's Chromium: a member shows "my code", a cashier's checkout page takes its
digits and the bill and shows the approval; the member then sees the discount and what is left."""

from __future__ import annotations

import re

import pytest

from gonghui.benefits.models import Redemption
from tests.pos.conftest import member_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-Word-123"


def watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def shown_code(page, old: str = "") -> str:
    page.wait_for_function(
        "(old) => { const c = document.querySelector('[data-testid=code-digits]').dataset.code"
        " || ''; return c.length === 20 && c !== old; }",
        arg=old,
    )
    return page.get_attribute("[data-testid=code-digits]", "data-code")


def test_member_code_to_checkout_approval_to_member_pages(browser, live_server, shop):
    base = live_server.url
    # The member's phone: "My code".
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    phone.add_cookies([{"name": "sessionid", "value": member_session(shop.member), "url": base}])
    member_page = phone.new_page()
    member_page.set_default_timeout(15000)
    member_problems = watch(member_page)
    member_page.goto(f"{base}/m/code/")
    code = shown_code(member_page)

    # The cashier's tablet: sign in, pick the store's terminal, enter the bill and the digits.
    tablet = browser.new_context(locale="zh-CN", viewport={"width": 1024, "height": 768})
    pos = tablet.new_page()
    pos.set_default_timeout(15000)
    pos_problems = watch(pos)
    pos.goto(f"{base}/pos/")
    pos.click("[data-testid=pos-cashier-login]")
    pos.fill("[data-testid=pos-username]", "cashier1")
    pos.fill("[data-testid=pos-password]", PASSWORD)
    pos.click("[data-testid=pos-login-submit]")
    pos.wait_for_url(f"{base}/pos/")
    pos.select_option("[data-testid=pos-terminal]", str(shop.terminal.pk))
    pos.click("[data-testid=pos-pick]")
    pos.wait_for_selector("[data-testid=pos-bill]", state="visible")
    assert "城关店" in pos.inner_text("[data-testid=pos-where]")
    assert pos.evaluate("() => Boolean(window.__Html5QrcodeLibrary__)")  # the camera library

    pos.fill("[data-testid=pos-bill]", "128.50")
    pos.fill("[data-testid=pos-code]", code)  # what a barcode gun types
    pos.press("[data-testid=pos-code]", "Enter")
    pos.wait_for_selector("[data-testid=pos-result][data-state=ok]")
    result = pos.inner_text("[data-testid=pos-result]")
    assert "¥102.80" in result  # what the member pays
    assert pos.inner_text("[data-testid=pos-fact-discount]") == "¥25.70"
    # Issue #12 item 7: "left for this member" is the member's own allowance (2 a day, 1 left),
    # the offer's stock (10, 9 left) is a fact of its own.
    assert pos.inner_text("[data-testid=pos-fact-remaining]").split() == ["今天", "1"]
    assert pos.inner_text("[data-testid=pos-fact-stock]") == "9"
    assert "会员八折" in result
    pos.wait_for_function("() => document.querySelectorAll('[data-testid=pos-item]').length === 1")
    assert pos.inner_text("[data-testid=pos-total-count]") == "1"
    assert pos.inner_text("[data-testid=pos-total-discount]") == "¥25.70"
    red = Redemption.objects.get()
    assert red.bill_fen == 12850 and red.member_id == shop.member.pk

    # The same code again: a red answer in plain words; nothing more is redeemed.
    pos.fill("[data-testid=pos-bill]", "10")
    pos.fill("[data-testid=pos-code]", code)
    pos.click("[data-testid=pos-go]")
    pos.wait_for_selector("[data-testid=pos-result][data-state=err]")
    assert pos.inner_text("[data-testid=pos-result-main]")
    assert Redemption.objects.count() == 1

    # A bad bill never leaves the page.
    pos.fill("[data-testid=pos-bill]", "12.345")
    pos.fill("[data-testid=pos-code]", code)
    pos.click("[data-testid=pos-go]")
    pos.wait_for_selector("[data-testid=pos-form-error]", state="visible")

    # The member sees the discount and what is left of the offer.
    member_page.goto(f"{base}/m/offers/redemptions/")
    row = member_page.locator("[data-testid=redemption]")
    assert row.count() == 1
    assert member_page.inner_text("[data-testid=redemption-discount]") == "¥25.70"
    assert member_page.inner_text("[data-testid=redemption-paid]") == "¥102.80"
    assert "城关店" in row.inner_text()
    member_page.goto(f"{base}/m/offers/")
    offer = member_page.locator(f"[data-offer-id='{shop.offer.pk}']")
    assert offer.locator("[data-testid=left-today]").inner_text() == "1"
    assert offer.locator("[data-testid=left-stock]").inner_text() == "9"

    for problems in (member_problems, pos_problems):
        assert not [p for p in problems if "Content Security Policy" in p], problems
    phone.close()
    tablet.close()


def test_lost_answer_retry_and_void_with_a_terminal_key(browser, live_server, shop):
    """The answer to a scan is lost on the way back; "Retry" sends the same Idempotency-Key and
    shows the first answer; one redemption. Then the cashier voids it."""
    base = live_server.url
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    phone.add_cookies([{"name": "sessionid", "value": member_session(shop.member), "url": base}])
    member_page = phone.new_page()
    member_page.set_default_timeout(15000)
    member_page.goto(f"{base}/m/code/")
    code = shown_code(member_page)

    tablet = browser.new_context(locale="en", viewport={"width": 390, "height": 844})
    pos = tablet.new_page()
    pos.set_default_timeout(15000)
    problems = watch(pos)
    pos.goto(f"{base}/pos/")
    pos.fill("[data-testid=pos-key]", shop.key)
    pos.click("[data-testid=pos-key-save]")
    pos.wait_for_selector("[data-testid=pos-bill]", state="visible")
    assert pos.evaluate("() => localStorage.getItem('gonghui.pos.key')") == shop.key

    keys: list[str] = []

    def lose_first_answer(route):
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the server does the work…
            route.abort("connectionreset")  # …and the answer is lost
        else:
            route.continue_()

    pos.route(re.compile(r".*/api/v1/pos/scan$"), lose_first_answer)
    pos.fill("[data-testid=pos-bill]", "50")
    pos.fill("[data-testid=pos-code]", code)
    pos.click("[data-testid=pos-go]")
    pos.wait_for_selector("[data-testid=pos-result][data-state=network]")
    assert Redemption.objects.count() == 1  # done on the server, answer lost
    pos.click("[data-testid=pos-retry]")
    pos.wait_for_selector("[data-testid=pos-result][data-state=ok]")
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    assert Redemption.objects.count() == 1

    # A reload keeps the key: the page opens on the register.
    pos.reload()
    pos.wait_for_selector("[data-testid=pos-bill]", state="visible")
    pos.wait_for_function("() => !document.querySelector('[data-testid=pos-void-open]').disabled")
    pos.click("[data-testid=pos-void-open]")
    pos.click("[data-testid=pos-void-confirm]")  # no reason yet
    pos.wait_for_selector("[data-testid=pos-void-error]", state="visible")
    pos.fill("[data-testid=pos-void-reason]", "customer left")
    pos.click("[data-testid=pos-void-confirm]")
    pos.wait_for_selector("[data-testid=pos-result][data-state=info]")
    red = Redemption.objects.get()
    assert red.status == Redemption.Status.VOIDED and red.void_reason == "customer left"
    pos.wait_for_function("() => document.querySelector('[data-testid=pos-void-open]').disabled")
    assert pos.inner_text("[data-testid=pos-total-count]") == "0"

    member_page.goto(f"{base}/m/offers/redemptions/")
    assert member_page.locator("[data-testid=redemption-voided]").count() == 1
    assert not [p for p in problems if "Content Security Policy" in p], problems
    phone.close()
    tablet.close()
