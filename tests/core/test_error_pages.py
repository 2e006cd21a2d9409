"""Styled, translated error pages for the H5 and the console, with DEBUG off (issue #12, item 2):
zh-hans text, ``lang="zh-hans"``, the layout of the part of the site, a link home."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

from gonghui import urls as project_urls
from gonghui.orgs.models import Role
from gonghui.urls import handler403, handler404, handler500  # noqa: F401  (this urlconf's handlers)
from tests.factories import make_staff, org_child, org_root

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _boom(request):
    raise RuntimeError("boom")


def _denied(request):
    raise PermissionDenied


urlpatterns = [
    path("m/test-boom", _boom),
    path("admin/test-boom", _boom),
    path("m/test-denied", _denied),
    path("admin/test-denied", _denied),
    *project_urls.urlpatterns,
]


@pytest.fixture(autouse=True)
def _no_debug(settings):
    settings.DEBUG = False


def zh(**kw) -> Client:
    return Client(headers={"accept-language": "zh-hans"}, raise_request_exception=False, **kw)


@pytest.fixture
def staff() -> Client:
    """A console user signed in (the console sends anonymous visitors to its login page)."""
    c = zh()
    c.force_login(make_staff(org_child(org_root()), Role.UNION_ADMIN))
    return c


def assert_page(response, status: int, *, title: str, home: str, console: bool) -> str:
    assert response.status_code == status
    body = response.content.decode()
    assert '<html lang="zh-hans"' in body
    assert f'data-status="{status}"' in body and 'data-testid="error-page"' in body
    assert title in body
    assert f'href="{home}" data-testid="error-home"' in body
    if console:
        assert "unfold/css/styles.css" in body  # the console's layout
    else:
        assert "members/h5.css" in body  # the H5 layout
    for english in ("Not Found", "Forbidden", "Server Error", "CSRF verification failed"):
        assert english not in body
    return body


def test_h5_404():
    r = zh().get("/m/no-such-page")
    assert_page(r, 404, title="页面不存在", home="/m/", console=False)


def test_console_404(staff):
    r = staff.get("/admin/no-such-page/")
    assert_page(r, 404, title="页面不存在", home="/admin/", console=True)


def test_h5_403_permission_denied_and_csrf_failure():
    assert_page(zh().get("/m/test-denied"), 403, title="无法打开此页面", home="/m/", console=False)
    c = zh(enforce_csrf_checks=True)
    r = c.post("/m/login", {"phone": "13912340001"})
    assert_page(r, 403, title="无法打开此页面", home="/m/", console=False)


def test_console_403_permission_denied_and_csrf_failure():
    r = zh().get("/admin/test-denied")
    assert_page(r, 403, title="无法打开此页面", home="/admin/", console=True)
    c = zh(enforce_csrf_checks=True)
    r = c.post("/admin/login/", {"username": "x", "password": "y"})
    assert_page(r, 403, title="无法打开此页面", home="/admin/", console=True)


def test_h5_405_has_a_page_and_keeps_allow():
    r = zh().get("/m/rights/track")
    body = assert_page(r, 405, title="无法以这种方式打开此页面", home="/m/", console=False)
    assert "POST" in r["Allow"] and body.strip()


def test_console_405_has_a_page(staff):
    r = staff.get("/admin/logout/")  # Django's admin logout is POST only (an empty 405)
    assert "POST" in r["Allow"]
    assert_page(r, 405, title="无法以这种方式打开此页面", home="/admin/", console=True)


def test_h5_500():
    assert_page(zh().get("/m/test-boom"), 500, title="出错了", home="/m/", console=False)


def test_console_500():
    assert_page(zh().get("/admin/test-boom"), 500, title="出错了", home="/admin/", console=True)


def test_api_errors_stay_json():
    r = zh().get("/api/no-such-endpoint")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert r.json()["code"] == "not_found"
