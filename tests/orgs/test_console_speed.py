"""Console lists run a bounded number of queries whatever the page size (issue #12 item 8).

On the demo data as the federation admin: the member list runs as many queries for 10 members
as for 100, and so does every other console list for 3 rows and 100 (a query per row, an
"N+1", shows as a difference). unfold's column headers are computed once per list."""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gonghui.members.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def queries(client: Client, url: str) -> int:
    client.get(url)  # warm: per-process caches (content types, sessions) are not the list's
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_console_lists_run_the_same_queries_for_any_page_size(monkeypatch):
    call_command("demo", stdout=io.StringIO())
    client = Client()
    client.force_login(get_user_model().objects.get(username="fed_admin"))
    member_admin = admin.site._registry[Member]
    assert Member.objects.count() >= 100
    counts = {}
    for size in (10, 100):
        monkeypatch.setattr(member_admin, "list_per_page", size)
        counts[size] = queries(client, reverse("admin:members_member_changelist"))
    assert counts[10] == counts[100], counts
    assert counts[100] <= 10, counts

    growing = {}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label == "auth":
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        small, large = [], []
        monkeypatch.setattr(model_admin, "list_per_page", 3)
        small.append(queries(client, url))
        monkeypatch.setattr(model_admin, "list_per_page", 100)
        large.append(queries(client, url))
        if small != large:
            growing[model._meta.label] = (small[0], large[0])
    assert growing == {}, growing


def test_unfold_column_headers_are_built_once_per_list(monkeypatch):
    from unfold.templatetags import unfold_list

    from tests.factories import make_member, make_staff, org_child, org_root

    root = org_root()
    union = org_child(root)
    for _ in range(5):
        make_member(union)
    calls = []
    installed = unfold_list.result_headers
    assert getattr(installed, "gonghui_cached", False), "orgs.unfold_patches is not installed"
    original = installed.__wrapped__  # unfold's own function

    def counting(cl):
        calls.append(cl)
        return original(cl)

    from gonghui.orgs import unfold_patches

    monkeypatch.setattr(unfold_list, "result_headers", unfold_patches._cached(counting))
    client = Client()
    client.force_login(make_staff(root, "federation_admin"))
    response = client.get(reverse("admin:members_member_changelist"))
    assert response.status_code == 200
    assert response.content.decode().count("field-name") >= 5
    assert len(calls) == 1
