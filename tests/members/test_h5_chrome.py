"""The H5 header bar: the page's title and a back link on every inner page, the brand (and no
back link) on the home page. Walks every member page reachable from the home page and the
service list pages."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest

from tests.factories import make_member
from tests.members.test_h5_support import en_client, make_tree, sign_in, text

pytestmark = pytest.mark.django_db

PHONE = "13912340001"

START = [
    "/m/",
    "/m/union",
    "/m/history",
    "/m/transfer",
    "/m/privacy",
    "/m/profile",
]
# Service pages mounted by the other apps, found from the home page tiles and listed here too.
NAMED = [
    "activities:list",
    "activities:mine",
    "jobs:list",
    "jobs:applications",
    "jobs:fairs",
    "venues:list",
    "venues:mine",
    "assistance:home",
    "assistance:apply",
    "rights:home",
    "rights:intake",
    "offers:list",
    "offers:redemptions",
    "mutualaid:home",
    "mutualaid:claim_new",
    "academy:list",
    "academy:certificates",
    "honors:mine",
    "honours:showcase",
    "codes:page",
]
SKIP = re.compile(r"/(logout|sw\.js|poster|documents/|certificates/.+\.pdf)")
TITLE_RE = re.compile(r'<div class="h5-title" data-testid="h5-title">(.*?)</div>', re.S)
DOC_TITLE_RE = re.compile(r"<title>(.*?) · ", re.S)


def _walk(client) -> dict[str, str]:
    from django.urls import reverse

    queue = deque(START + [reverse(name) for name in NAMED])
    seen: dict[str, str] = {}
    while queue and len(seen) < 120:
        url = queue.popleft()
        if url in seen:
            continue
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        body = text(r)
        seen[url] = body
        for href in re.findall(r'href="(/m/[^"#]*)"', body):
            path = urlsplit(href).path
            if path not in seen and not SKIP.search(path):
                queue.append(path)
    return seen


def test_every_inner_page_has_a_back_link_and_its_title_in_the_bar():
    tree = make_tree()
    member = make_member(tree.union, phone=PHONE, name="李海", enterprise=tree.enterprise)
    client = en_client()
    sign_in(client, member, PHONE)
    pages = _walk(client)
    assert len(pages) >= len(START) + len(NAMED)
    for url, body in pages.items():
        doc_title = DOC_TITLE_RE.search(body).group(1).strip()
        if url == "/m/":
            assert 'data-testid="h5-back"' not in body
            assert 'class="h5-brand"' in body and not TITLE_RE.search(body)
            continue
        assert re.search(r'<a class="h5-back" href="/m/[^"]*"', body), url
        bar = TITLE_RE.search(body)
        assert bar, url
        assert bar.group(1).strip() == doc_title and doc_title, url


def test_anonymous_pages_have_the_bar_too():
    client = en_client()
    for url in ["/m/login", "/m/join", "/m/privacy"]:
        body = text(client.get(url))
        assert re.search(r'<a class="h5-back" href="/m/"', body), url
        assert TITLE_RE.search(body).group(1).strip(), url
    body = text(client.get("/m/"))
    assert 'data-testid="h5-back"' not in body and 'class="h5-brand"' in body


def test_every_tile_has_its_own_icon_and_the_file_exists():
    from gonghui.members import h5menu
    from gonghui.members.templatetags.h5_icons import icon_path

    entries = h5menu.entries()
    assert len(entries) >= 10
    icons = [e.icon for e in entries]
    assert all(icons), [e.key for e in entries if not e.icon]
    assert len(set(icons)) == len(icons), icons
    for e in entries:
        assert icon_path(e.icon), f"vendor/icons/{e.icon}.svg missing: run scripts/build-assets.sh"


def test_home_tiles_show_the_icons_not_the_first_letter():
    from gonghui.members import h5menu

    tree = make_tree()
    member = make_member(tree.union, phone=PHONE, name="李海", enterprise=tree.enterprise)
    client = en_client()
    sign_in(client, member, PHONE)
    body = text(client.get("/m/"))
    for e in h5menu.entries():
        tile = re.search(rf'data-testid="service-{e.key}">(.*?)</a>', body, re.S)
        assert tile, e.key
        assert f'data-icon="{e.icon}"' in tile.group(1) and "<svg" in tile.group(1), e.key


def test_home_puts_my_code_first_and_big():
    tree = make_tree()
    member = make_member(tree.union, phone=PHONE, name="李海", enterprise=tree.enterprise)
    client = en_client()
    sign_in(client, member, PHONE)
    body = text(client.get("/m/"))
    cta = re.search(
        r'<a class="code-cta" href="([^"]+)" data-testid="home-code">(.*?)</a>', body, re.S
    )
    assert cta and cta.group(1) == "/m/code/"
    assert "My benefit code" in cta.group(2) and "<svg" in cta.group(2)
    # above the profile card and the service tiles
    assert body.index('data-testid="home-code"') < body.index('data-testid="profile-card"')
    assert body.index('data-testid="home-code"') < body.index('class="services"')
    assert "我的工惠码" in text(client.get("/m/", headers={"accept-language": "zh-hans"}))


def test_anonymous_home_has_no_code_card():
    assert 'data-testid="home-code"' not in text(en_client().get("/m/"))


def test_tile_labels_fit_their_tile_without_a_mid_word_wrap():
    """A 390 px screen gives a tile about 75 px of text: five CJK characters at 13 px. Longer
    labels wrapped one character onto a second line (我的志愿服/务); the CSS keeps words whole."""
    from django.contrib.staticfiles import finders
    from django.utils import translation

    from gonghui.members import h5menu

    with translation.override("zh-hans"):
        labels = {e.key: str(e.label) for e in h5menu.entries()}
    too_long = {k: v for k, v in labels.items() if len(v) > 5}
    assert not too_long, too_long
    css_path = finders.find("members/h5.css")
    assert isinstance(css_path, str)
    with open(css_path, encoding="utf-8") as f:
        css = f.read()
    rule = re.search(r"\.service-tile, \.h5-title[^{]*\{([^}]*)\}", css)
    assert rule and "word-break: keep-all" in rule.group(1)
    assert "overflow-wrap: anywhere" in rule.group(1)
