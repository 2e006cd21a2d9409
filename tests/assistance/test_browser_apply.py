"""The hardship application form on a 390×844 phone in Debian's Chromium: the group of secondary
causes lays out as two columns of whole words and does not overlap the next field. (The group's
container carried the checkbox class, 20×20 px, so every label was squeezed to one character a
line and spilled over the income fields below.)"""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from gonghui.members.session import SESSION_MEMBER_KEY

from .factories import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secondary_causes_are_two_columns_of_whole_words(live_server, page):
    member = make_world().member
    session = SessionStore()
    session[SESSION_MEMBER_KEY] = member.pk
    session.create()
    page.context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/m/assistance/apply")
    labels = page.locator("#id_secondary_causes label")
    assert labels.count() >= 4
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    assert all(b is not None for b in boxes)
    # one line each (a 40 px target), two columns
    assert max(b["height"] for b in boxes) < 48, boxes  # type: ignore[index]
    assert len({round(b["x"]) for b in boxes}) == 2, boxes  # type: ignore[index]
    group = page.locator("#id_secondary_causes").bounding_box()
    group_field = page.locator(".field:has(#id_secondary_causes)")
    following = group_field.locator("xpath=following-sibling::div[1]").bounding_box()
    assert group and following
    assert group["y"] + group["height"] <= following["y"], (group, following)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
