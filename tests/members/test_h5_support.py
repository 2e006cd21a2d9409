"""Helpers shared by the H5 page tests (no tests here): a small union tree, clients, sign-in."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.test import Client

from gonghui.core.sms import MemorySmsBackend
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org
from tests.factories import EnterpriseFactory, org_child, org_root

CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@dataclass
class Tree:
    federation: Org
    township: Org
    union: Org
    other_union: Org
    delivery: Org
    express: Org
    enterprise: Enterprise


def make_tree() -> Tree:
    fed = org_root(name="玉环市总工会")
    township = org_child(fed, Org.Kind.DISTRICT, name="玉城街道总工会")
    union = org_child(
        township,
        name="海鲸机械有限公司工会",
        contact_name="王主席",
        contact_phone="0576-87654321",
        address="玉环市玉城街道机电路 8 号",
    )
    other = org_child(township, name="东港渔业工会")
    delivery = org_child(
        fed, Org.Kind.INDUSTRY, name="外卖配送行业工会联合会", trade=Org.Trade.DELIVERY
    )
    express = org_child(
        fed, Org.Kind.INDUSTRY, name="快递物流行业工会联合会", trade=Org.Trade.EXPRESS
    )
    ent = EnterpriseFactory(name="海鲸机械有限公司", union=union)
    return Tree(fed, township, union, other, delivery, express, ent)


def en_client(**kw) -> Client:
    """A client that asks for English, so that tests may read the (English msgid) texts."""
    return Client(headers={"accept-language": "en"}, **kw)


def last_code(phone: str) -> str:
    """The code of the newest SMS sent to ``phone`` (MemorySmsBackend)."""
    for to, message in reversed(MemorySmsBackend.outbox):
        if to == phone:
            m = CODE_RE.search(message)
            if m:
                return m.group(1)
    raise AssertionError(f"no code sent to {phone}: {MemorySmsBackend.outbox!r}")


def text(response) -> str:
    return html.unescape(response.content.decode())


def field_errors(response, field: str) -> list[str]:
    """The messages shown under ``field`` (elements with data-testid="error-<field>")."""
    pattern = rf'data-testid="error-{re.escape(field)}">(.*?)</p>'
    return [html.unescape(m.strip()) for m in re.findall(pattern, response.content.decode(), re.S)]


def sign_in(client: Client, member: Member, phone: str) -> None:
    """Sign in through the pages: ask for a code, read it from the SMS, enter it."""
    r = client.post("/m/login", {"action": "send", "phone": phone})
    assert 'data-testid="otp-sent"' in text(r), text(r)[:3000]
    r = client.post("/m/login", {"action": "verify", "phone": phone, "code": last_code(phone)})
    assert r.status_code == 302, text(r)[:3000]
    assert client.session.get("gonghui_member_id") == member.pk
