"""/api/v1/docs renders from our own static files under the strict CSP, and the OpenAPI document
has a description and a described tag per app (issue #12, item 3)."""

from __future__ import annotations

import pytest

from gonghui.api import API_TAGS

DOCS = "/api/v1/docs"


@pytest.mark.django_db
def test_docs_page_loads_swagger_ui_from_our_static_files(client):
    r = client.get(DOCS)
    assert r.status_code == 200
    body = r.content.decode()
    assert "cdn.jsdelivr.net" not in body and "unpkg.com" not in body
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "/static/ninja/swagger-ui-init.js" in body
    csp = r["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp


@pytest.mark.django_db
def test_openapi_has_a_description_and_a_tag_per_app(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["info"]["description"].startswith("The Gonghui trade-union services API")
    described = {t["name"] for t in doc["tags"]}
    assert all(t["description"] for t in doc["tags"])
    used = {
        tag for ops in doc["paths"].values() for op in ops.values() for tag in op.get("tags", [])
    }
    untagged = [
        (p, m) for p, ops in doc["paths"].items() for m, op in ops.items() if not op.get("tags")
    ]
    assert not untagged
    assert used == described == {t["name"] for t in API_TAGS}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_docs_render_the_operations_without_csp_violations(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30000)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    try:
        page.goto(live_server.url + DOCS)
        page.wait_for_selector(".opblock-tag-section", state="attached")
        page.wait_for_selector(".opblock-summary-path", state="attached")
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/v1/health" in p for p in paths), paths[:5]
        tags = page.locator(".opblock-tag").all_inner_texts()
        assert any("members" in t for t in tags)
        assert page.locator(".info .title").inner_text().startswith("Gonghui API")
        assert not problems, problems
    finally:
        context.close()
