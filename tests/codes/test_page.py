"""The member's "My code" page in Debian's Chromium: shows a code that verifies once, follows a
use, and still works offline once its service worker is active."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from gonghui.codes import protocol, services
from gonghui.codes.models import Credential
from gonghui.core.errors import Refused
from gonghui.members.session import SESSION_MEMBER_KEY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, member):
    session = SessionStore()
    session[SESSION_MEMBER_KEY] = member.pk
    session.create()
    page.context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )


def shown_code(page) -> str:
    page.wait_for_function(
        "() => (document.querySelector('[data-testid=code-digits]').dataset.code || '').length === 20"
    )
    return page.get_attribute("[data-testid=code-digits]", "data-code")


def test_code_page_shows_a_code_that_works_once_and_offline(page, live_server, member, terminal):
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, live_server, member)

    page.goto(f"{live_server.url}/m/code/")
    code = shown_code(page)
    credential = Credential.objects.get(member=member, status="active")
    assert code.startswith(str(credential.pk))
    assert page.inner_text("[data-testid=code-digits]").replace(" ", "") == code
    assert page.locator("#code-qr").is_visible() and page.locator("#code-bar").is_visible()

    # The digits verify on the server once.
    verified, who = services.code_verify(code=code, terminal=terminal)
    assert verified.pk == credential.pk
    assert who.pk == member.pk
    with pytest.raises(Refused) as exc:
        services.code_verify(code=code, terminal=terminal)
    assert exc.value.code == "already_used"

    # The page learns of the use (polling the high-water mark) and shows a fresh code.
    page.wait_for_function(
        "(old) => document.querySelector('[data-testid=code-digits]').dataset.code !== old",
        arg=code,
        timeout=15000,
    )
    fresh = shown_code(page)
    assert fresh != code
    services.code_verify(code=fresh, terminal=terminal)

    # "New code" bumps the sequence number; the code verifies.
    page.click("[data-testid=code-new]")
    page.wait_for_function(
        "(old) => document.querySelector('[data-testid=code-digits]').dataset.code !== old",
        arg=fresh,
    )
    bumped = shown_code(page)
    assert (
        protocol.decode(bumped).seq > protocol.decode(fresh).seq
        or protocol.decode(bumped).step_low != protocol.decode(fresh).step_low
    )
    services.code_verify(code=bumped, terminal=terminal)

    # Offline: once the service worker controls the page, it reloads with no network.
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=15000,
    )
    page.reload()  # online, through the worker: every asset is kept
    shown_code(page)
    page.context.set_offline(True)
    page.reload()
    offline_code = shown_code(page)
    assert page.locator("#code-qr").is_visible()
    page.context.set_offline(False)
    services.code_verify(code=offline_code, terminal=terminal)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems

    # Only one credential was issued for this device across reloads.
    assert Credential.objects.filter(member=member).count() == 1


def test_code_page_needs_a_signed_in_member(client, db):
    r = client.get("/m/code/")
    assert r.status_code == 302 and r["Location"].startswith("/m/login")


def test_service_worker_script(client, db):
    r = client.get("/m/code/sw.js")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/javascript")
    assert r["Service-Worker-Allowed"] == "/m/code/"
    body = r.content.decode()
    assert (
        '"/m/code/"' in body and "/static/codes/generator.js" in body and "__VERSION__" not in body
    )
