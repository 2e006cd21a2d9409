"""The page walk (issue #12, item 2): every console list and change page for each demo role, and
every member H5 page, over the demo loaded once; fails on a 5xx, a raw ``app.kind`` code, an
untranslated msgid, a label made up from an attribute name, or horizontal overflow at 390 px.

The demo is loaded once per module inside a transaction that is rolled back at the end, so the
rest of the suite never sees it. The browser part does not start a server: the Django test
client answers every H5 page first, then Playwright is served those answers (``page.route``). It runs in the SQLite pass of CI only (the walk proves nothing more on PostgreSQL).
See ``findings.py`` for the exact rules.
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.signals import got_request_exception
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.text import capfirst

import gonghui
from gonghui.demo import data

from .findings import Text, code_finder, untranslated_ids, visible

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="the page walk runs once, in the SQLite pass (it proves nothing more on PostgreSQL)",
)
LIST_PER_PAGE = 10  # enough rows to show every column; keeps the walk within its time

SRC = Path(gonghui.__file__).parent
ROLES = [s.username for s in data.STAFF]
H5_PREFIXES = ("m/", "verify/")
ORIGIN = "http://localhost:8000"  # a secure context for the browser, never contacted


# ------------------------------------------------------------------ the demo, once


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[dict[str, Any]]:
    from gonghui.demo.services import demo_load
    from gonghui.members import pii
    from gonghui.members.models import Member

    with django_db_blocker.unblock():
        conn = connections["default"]
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            demo_load()
            member = Member.objects.get(phone_index=pii.phone_index(data.DEMO_MEMBER_PHONE))
            yield {"member": member, "checks": Checks.build()}
        finally:
            # A django_db test's teardown closes the connection (TestCase.tearDownClass), which
            # ends the transaction, uncommitted; the atomic block is then gone.
            if conn.in_atomic_block:
                conn.set_rollback(True)
                atomic.__exit__(None, None, None)


class Checks:
    """What a page must not show, collected once from the registries and the loaded demo."""

    def __init__(self, codes: set[str], msgids: set[str], attr_labels: set[str]) -> None:
        self.find_codes = code_finder(codes)
        self.msgids = msgids
        self.attr_labels = attr_labels

    @classmethod
    def build(cls) -> Checks:
        from gonghui.codes import dispatch
        from gonghui.core.models import AuditEntry
        from gonghui.funds.models import LedgerTransaction
        from gonghui.members import servicekinds
        from gonghui.members.models import ServiceEvent

        codes = set(servicekinds.registered())
        codes |= {r.context_type for r in dispatch.registered()}
        codes |= set(ServiceEvent.objects.values_list("kind", flat=True).distinct())
        codes |= set(LedgerTransaction.objects.values_list("kind", flat=True).distinct())
        codes |= set(AuditEntry.objects.values_list("action", flat=True).distinct())
        msgids = untranslated_ids(SRC.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
        labels: set[str] = set()
        for model in apps.get_models():
            if not model.__module__.startswith("gonghui."):
                continue
            names = {f.name for f in model._meta.get_fields()}
            names |= {getattr(f, "attname", f.name) for f in model._meta.concrete_fields}
            names.add("pk")
            model_admin = admin.site._registry.get(model)
            if model_admin is not None:
                for attr in (*model_admin.list_display, *model_admin.get_readonly_fields(None)):
                    if isinstance(attr, str):
                        names.add(attr)
            labels |= {capfirst(n.replace("_", " ")) for n in names if n}
        return cls(codes, msgids, labels)

    def page(self, text: Text) -> list[str]:
        found = [f"code {c!r}" for c in self.find_codes(text.joined)]
        found += [f"untranslated {n!r}" for n in dict.fromkeys(text.nodes) if n in self.msgids]
        found += [
            f"attribute label {lb!r}" for lb in dict.fromkeys(text.labels) if lb in self.attr_labels
        ]
        return found


class Walk:
    """Collects findings; a 5xx keeps its exception."""

    def __init__(self, checks: Checks) -> None:
        self.checks = checks
        self.findings: list[str] = []
        self.pages = 0
        self.errors: list[str] = []
        got_request_exception.connect(self._exception)

    def _exception(self, sender: Any, request: Any = None, **kwargs: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        self.errors.append(f"{getattr(request, 'path', '?')}: {exc!r}")

    def close(self) -> None:
        got_request_exception.disconnect(self._exception)

    def get(self, who: str, client: Client, url: str) -> Any:
        self.errors.clear()
        response = client.get(url)
        self.pages += 1
        if response.status_code >= 500:
            why = "; ".join(self.errors) or response.content[:200].decode(errors="replace")
            self.findings.append(f"{who} GET {url}: status {response.status_code}: {why}")
            return response
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            for what in self.checks.page(visible(response.content.decode())):
                self.findings.append(f"{who} GET {url}: {what}")
        return response

    def report(self) -> str:
        return f"{len(self.findings)} findings on {self.pages} pages:\n" + "\n".join(self.findings)


# ------------------------------------------------------------------ the console


def _admin_urls() -> list[tuple[str, str, str]]:
    out = []
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        out.append((opts.app_label, opts.model_name, url))
    return sorted(out)


@pytest.fixture
def short_lists(monkeypatch):
    for model_admin in admin.site._registry.values():
        monkeypatch.setattr(model_admin, "list_per_page", LIST_PER_PAGE)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_console_walk(demo, short_lists, role):
    user = get_user_model().objects.get(username=role)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    walk = Walk(demo["checks"])
    try:
        walk.get(role, client, "/admin/")
        for app_label, model_name, url in _admin_urls():
            response = walk.get(role, client, url)
            if response.status_code != 200:
                continue
            first = re.search(
                rf'href="(/admin/{app_label}/{model_name}/[^"/]+/change/)',
                response.content.decode(),
            )
            if first:
                walk.get(role, client, first.group(1))
    finally:
        walk.close()
    assert not walk.findings, walk.report()


# ------------------------------------------------------------------ the member's H5


def _routes(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from _routes(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + str(p.pattern), f"{ns}:{p.name}" if ns else p.name


def _first(label: str, **filters: Any) -> Any:
    model = apps.get_model(label)
    qs = model.objects.order_by("pk")
    return qs.filter(**filters).first() or qs.first()


def _h5_kwargs(member: Any) -> dict[str, Callable[[], dict[str, Any] | None]]:
    """The arguments of each H5 page that needs some, from the demo (the member's own first)."""

    def pk(label: str, key: str = "pk", **f: Any) -> Callable[[], dict[str, Any] | None]:
        def get() -> dict[str, Any] | None:
            obj = _first(label, **f)
            return None if obj is None else {key: obj.pk}

        return get

    def lesson() -> dict[str, Any] | None:
        obj = _first("academy.Lesson")
        return obj and {"pk": obj.course_id, "lesson_pk": obj.pk}

    def quiz() -> dict[str, Any] | None:
        obj = _first("academy.Quiz")
        return obj and {"pk": obj.course_id, "quiz_pk": obj.pk}

    def certificate() -> dict[str, Any] | None:
        obj = _first("academy.Certificate", member=member)
        return obj and {"number": obj.number}

    def verify() -> dict[str, Any] | None:
        from gonghui.academy import signing

        obj = _first("academy.Certificate")
        return obj and {"number": obj.number, "signature": signing.certificate_signature(obj)}

    def case() -> dict[str, Any] | None:
        obj = _first("rights.RightsCase", member=member)
        return obj and {"number": obj.number}

    return {
        "activities:detail": pk("activities.Activity"),
        "activities:poster": pk("activities.Activity"),
        "activities:register": pk("activities.Session", "session_pk"),
        "activities:cancel": pk("activities.Registration", member=member),
        "jobs:detail": pk("jobs.Posting"),
        "jobs:apply": pk("jobs.Posting"),
        "jobs:withdraw": pk("jobs.Application", member=member),
        "venues:detail": pk("venues.Venue", "venue_id"),
        "venues:book": pk("venues.Slot", "slot_id"),
        "venues:cancel": pk("venues.Booking", "booking_id", member=member),
        "rights:case": case,
        "mutualaid:claim": pk("mutualaid.AidClaim", member=member),
        "mutualaid:document": pk("mutualaid.ClaimDocument"),
        "academy:course": pk("academy.Course"),
        "academy:enrol": pk("academy.Course"),
        "academy:lesson": lesson,
        "academy:lesson_done": lesson,
        "academy:quiz": quiz,
        "academy:certificate_pdf": certificate,
        "academy_verify:certificate": verify,
    }


LAST = {"h5:logout"}  # signs the member out: walked last


def h5_urls(member: Any) -> list[str]:
    kwargs = _h5_kwargs(member)
    urls, last = [], []
    for route, name in _routes(get_resolver().url_patterns):
        if not route.startswith(H5_PREFIXES) or route.endswith(".js"):
            continue
        if "<" in route:
            args = kwargs[name]() if name in kwargs else None
            assert name in kwargs, f"the walk needs arguments for {name} ({route})"
            if args is None:
                continue
            url = reverse(name, kwargs=args)
        else:
            url = reverse(name)
        (last if name in LAST else urls).append(url)
    return urls + last


def member_client(member: Any) -> Client:
    from gonghui.members.session import SESSION_MEMBER_KEY

    client = Client(raise_request_exception=False)
    session = client.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()
    return client


@pytest.mark.django_db
def test_h5_walk(demo):
    member = demo["member"]
    walk = Walk(demo["checks"])
    try:
        anonymous = Client(raise_request_exception=False)
        client = member_client(member)
        for url in h5_urls(member):
            walk.get("member", client, url)
            walk.get("anonymous", anonymous, url)
    finally:
        walk.close()
    assert not walk.findings, walk.report()


# ------------------------------------------------------------------ 390 px in Chromium


def _serve(pages: dict[str, Any]) -> Callable[[Any, Any], None]:
    """Playwright's request handler: the pages answered beforehand by the Django test client,
    static files from the finders, 404 for anything else. It runs in Playwright's greenlet and
    never touches the database."""

    def handle(route: Any, request: Any) -> None:
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path.startswith(settings.STATIC_URL):
            found = finders.find(parts.path[len(settings.STATIC_URL) :])
            if not found:
                route.fulfill(status=404, body="")
                return
            body = Path(found).read_bytes()
            ctype = mimetypes.guess_type(found)[0] or "application/octet-stream"
            route.fulfill(status=200, body=body, headers={"Content-Type": ctype})
            return
        answer = pages.get(path) if request.method == "GET" else None
        if answer is None:
            route.fulfill(status=404 if request.method == "GET" else 204, body="")
            return
        route.fulfill(status=answer[0], headers=answer[1], body=answer[2])

    return handle


def _overflowing(pages: dict[str, Any]) -> list[str]:
    """Opens every page at 390×844 in Chromium; the pages whose width overflows.

    Runs in a thread of its own: Playwright's sync API, once started, moves the code after it
    into a greenlet with a context of its own, where Django would open another connection that
    cannot see the demo's uncommitted rows. The thread leaves the test's context alone."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    out: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
            context.route(f"{ORIGIN}/**", _serve(pages))
            page = context.new_page()
            page.set_default_timeout(15000)
            for url in pages:
                page.goto(f"{ORIGIN}{url}", wait_until="load")
                sizes = page.evaluate(
                    "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                )
                if sizes[0] > sizes[1]:
                    out.append(f"member {url}: scrollWidth {sizes[0]} > {sizes[1]}")
        finally:
            browser.close()
    return out


@pytest.mark.browser
@pytest.mark.django_db
def test_h5_no_horizontal_overflow(demo):
    """Every H5 page of the demo member at 390×844 in Chromium: no horizontal scroll.

    The Django test client answers the pages first (in the demo's transaction); the browser,
    in a thread of its own, is then served those answers and never touches the database."""
    from tests.conftest import CHROMIUM

    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    member = demo["member"]
    client = member_client(member)
    pages: dict[str, Any] = {}
    for url in h5_urls(member):
        if url.endswith((".pdf", "/logout")):
            continue
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        headers = {k: v for k, v in response.items() if k.lower() != "content-length"}
        pages[url] = (response.status_code, headers, response.content)
    assert len(pages) > 20, f"the walk found only {len(pages)} H5 pages"
    with ThreadPoolExecutor(max_workers=1) as pool:
        overflowing = pool.submit(_overflowing, pages).result()
    assert not overflowing, "horizontal overflow at 390 px:\n" + "\n".join(overflowing)
