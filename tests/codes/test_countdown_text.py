"""The code countdown reads 「24秒」 in zh-hans, not "24s": the unit comes translated from the
template and the script only fills in the number (issue #12, item 2)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.test import Client

import gonghui
from gonghui.members.session import SESSION_MEMBER_KEY

pytestmark = pytest.mark.django_db
SCRIPT = Path(gonghui.__file__).parent / "codes" / "static" / "codes" / "code_page.js"


def _client(member, language: str) -> Client:
    c = Client(headers={"accept-language": language})
    s = c.session
    s[SESSION_MEMBER_KEY] = member.pk
    s.save()
    return c


def _seconds_template(body: str) -> str:
    m = re.search(r'data-msg-seconds="([^"]*)"', body)
    assert m, "the code page passes the countdown text to the script"
    return html.unescape(m.group(1))


def test_the_countdown_unit_is_translated(member):
    zh = _client(member, "zh-hans").get("/m/code/").content.decode()
    assert _seconds_template(zh).replace("{n}", "24") == "24秒"
    en = _client(member, "en").get("/m/code/").content.decode()
    assert _seconds_template(en).replace("{n}", "24") == "24s"


def test_the_script_uses_the_template_text_not_a_hard_coded_unit():
    script = SCRIPT.read_text(encoding="utf-8")
    assert 'left + "s"' not in script
    assert 'msg("seconds")' in script
