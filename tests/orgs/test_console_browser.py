"""At 1,366 × 768 the member list keeps member and union names on at most two lines
(Chinese text otherwise wraps at every character in a narrow column)."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from gonghui.orgs.models import Enterprise, Role
from tests.factories import EnterpriseFactory, make_member, make_staff, org_child, org_root

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_staff(context, live_server, user) -> None:
    user.backend = "django.contrib.auth.backends.ModelBackend"
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = user.backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    context.add_cookies([{"name": "sessionid", "value": store.session_key, "url": live_server.url}])


def test_member_list_names_stay_on_two_lines_at_1366(browser, live_server):
    fed = org_root(name="玉环市总工会")
    town = org_child(fed, name="玉城街道小微企业联合工会")
    union = org_child(town, name="玉环恒达阀门制造有限公司第一分厂工会委员会")
    ent: Enterprise = EnterpriseFactory(union=union, name="玉环恒达阀门制造有限公司第一分厂")
    for name in ("欧阳建国", "司马慧敏", "诸葛晓明"):
        make_member(union, name=name, enterprise=ent)
    fed_admin = make_staff(fed, Role.FEDERATION_ADMIN)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    try:
        sign_in_staff(context, live_server, fed_admin)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/admin/members/member/")
        page.wait_for_selector("#result_list td.field-org")
        tall = page.evaluate(
            """() => {
                const out = [];
                for (const cls of ["field-name", "field-org", "field-enterprise"]) {
                    for (const td of document.querySelectorAll(`#result_list td.${cls}`)) {
                        const style = getComputedStyle(td);
                        let line = parseFloat(style.lineHeight);
                        if (!line) line = parseFloat(style.fontSize) * 1.5;
                        const pad = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
                        const lines = (td.getBoundingClientRect().height - pad) / line;
                        if (lines > 2.2) out.push([cls, td.innerText, lines.toFixed(1)]);
                    }
                }
                return out;
            }"""
        )
        assert tall == [], tall
    finally:
        context.close()
