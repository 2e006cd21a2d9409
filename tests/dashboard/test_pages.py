"""The console pages: landing, scope (404 outside), drill-down to the rows, export, labels."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.orgs.models import Role
from tests.dashboard.conftest import OCT
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def params(org, **extra):
    return {"org": org.pk, **OCT, **extra}


def visible_text(html: str) -> str:
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_landing_page_is_the_dashboard_for_dashboard_view(client, world):
    for role in (Role.FEDERATION_ADMIN, Role.UNION_ADMIN, Role.AUDITOR):
        client.force_login(make_staff(world.city, role))
        r = client.get(reverse("admin:index"))
        assert r.status_code == 200
        assert "admin/dashboard/home.html" in [t.name for t in r.templates]


def test_reviewer_lands_on_the_work_list_and_has_no_dashboard(client, world):
    client.force_login(make_staff(world.city, Role.REVIEWER))
    r = client.get(reverse("admin:index"))
    assert r.status_code == 200
    assert "admin/dashboard/home.html" not in [t.name for t in r.templates]
    assert client.get(reverse("dashboard:home")).status_code == 404
    assert client.get(reverse("dashboard:home"), params(world.city)).status_code == 404
    url = reverse("dashboard:figure", args=["dashboard.person_times"])
    assert client.get(url, params(world.city)).status_code == 404
    assert client.get("/api/v1/dashboard/summary", params(world.city)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, world):
    r = client.get(reverse("dashboard:home"))
    assert r.status_code == 302 and "/admin/login/" in r["Location"]


def test_union_admin_sees_only_its_subtree(client, world):
    client.force_login(make_staff(world.east, Role.UNION_ADMIN))
    home = reverse("dashboard:home")
    figure = reverse("dashboard:figure", args=["dashboard.person_times"])
    export = reverse("dashboard:export")
    r = client.get(home, OCT)  # no org: the user's scope root
    assert r.status_code == 200 and r.context["org"] == world.east
    assert client.get(home, params(world.e1)).status_code == 200
    for org_id in (world.city.pk, world.west.pk, world.w1.pk, 999_999, "x"):
        q = {**OCT, "org": org_id}
        assert client.get(home, q).status_code == 404
        assert client.get(figure, q).status_code == 404
        assert client.get(export, {**q, "table": "kinds"}).status_code == 404
        assert client.get("/api/v1/dashboard/summary", q).status_code in (404, 422)
    for org_id in (world.city.pk, world.west.pk, 999_999):
        for name in ("summary", "kinds", "activity", "funds", "figures", "pending",
                     "breakdown/dashboard.person_times"):  # fmt: skip
            r = client.get(f"/api/v1/dashboard/{name}", {**OCT, "org": org_id})
            assert r.status_code == 404, name


def test_page_shows_labels_never_kind_codes(client, world):
    client.force_login(make_staff(world.city, Role.FEDERATION_ADMIN))
    r = client.get(reverse("dashboard:home"), params(world.city))
    html = r.content.decode()
    text = visible_text(html)
    for code in ("benefits.redemption", "members.enrolment", "rights.case_closed",
                 "benefits.subsidy", "assistance.help", "welfare"):  # fmt: skip
        assert code not in text, code
    # the charts' data by json_script, drawn by a static script: no inline script of ours
    ours = html[html.index('data-testid="dashboard"') : html.index("<!-- dashboard end -->")]
    tags = re.findall(r"<script[^>]*>", ours)
    assert tags and all('type="application/json"' in t for t in tags), tags
    assert "dashboard/charts.js" in html and "vendor/echarts.min.js" in html
    assert "服务人次" in text  # zh-hans labels
    assert "东城镇总工会" in text and "本级" not in text


def test_drill_down_lands_on_the_rows_counted(client, world):
    client.force_login(make_staff(world.city, Role.FEDERATION_ADMIN))
    url = reverse("dashboard:figure", args=["dashboard.kind.members.enrolment"])
    r = client.get(url, params(world.city))
    assert r.status_code == 200
    # each child links to the same figure one level down
    assert f"org={world.east.pk}&amp;period=month" in r.content.decode()
    rows = r.context["rows_url"]
    listed = client.get(rows)
    assert listed.status_code == 200
    events = list(listed.context["cl"].result_list)
    assert len(events) == 2 and {e.kind for e in events} == {"members.enrolment"}
    # one level down: east has its own enrolment and none below
    r = client.get(url, params(world.east))
    assert [row.cells[1].value for row in r.context["table"].rows] == [1, 0, 0, 1]


def test_service_event_list_filters_subtree_kind_and_days(client, world):
    client.force_login(make_staff(world.city, Role.FEDERATION_ADMIN))
    url = reverse("admin:members_serviceevent_changelist")
    r = client.get(url, {"org_tree": world.east.pk, "kind": "benefits.redemption",
                         "occurred_from": "2026-10-01", "occurred_to": "2026-10-31"})  # fmt: skip
    assert r.status_code == 200
    assert len(r.context["cl"].result_list) == 3  # a twice, b once (voided, shown with its void)
    r = client.get(url, {"org_tree": world.e1.pk, "occurred_from": "2026-10-01"})
    assert len(r.context["cl"].result_list) == 3  # a's two October redemptions and November's
    members = reverse("admin:members_member_changelist")
    r = client.get(members, {"org_tree": world.east.pk})
    assert {m.name for m in r.context["cl"].result_list} == {"甲", "乙", "丁"}
    r = client.get(members, {"org_tree": world.city.pk, "joined_from": "2026-10-01",
                             "joined_to": "2026-10-31"})  # fmt: skip
    assert {m.name for m in r.context["cl"].result_list} == {"甲", "丙"}


def test_subtree_filter_keeps_scope(client, world):
    client.force_login(make_staff(world.east, Role.UNION_ADMIN))
    url = reverse("admin:members_member_changelist")
    r = client.get(url, {"org_tree": world.west.pk})
    assert r.status_code == 200 and list(r.context["cl"].result_list) == []


def test_export_holds_the_numbers_shown(client, world):
    client.force_login(make_staff(world.city, Role.AUDITOR))
    r = client.get(reverse("dashboard:export"), params(world.city, table="headline"))
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows["服务人次"][0:2] == (5, 2)
    assert rows["为会员支出的工会资金"][0] == pytest.approx(10.00)
    assert rows["经费支出"][0] == pytest.approx(28.00)
    r = client.get(
        reverse("dashboard:export"),
        params(world.city, table="breakdown", key="dashboard.person_times"),
    )
    sheet = load_workbook(io.BytesIO(r.content)).active
    body = list(sheet.iter_rows(min_row=4, values_only=True))
    assert body == [("东城镇总工会", 3), ("西城镇总工会", 2), ("合计", 5)]
    for table in ("kinds", "trend", "daily_active", "funds", "figures"):
        r = client.get(reverse("dashboard:export"), params(world.city, table=table))
        assert r.status_code == 200 and load_workbook(io.BytesIO(r.content)).active is not None
    assert client.get(reverse("dashboard:export"), params(world.city, table="x")).status_code == 404


@pytest.mark.usefixtures("published")
def test_pending_and_registered_figures_on_the_page(client, world):
    client.force_login(make_staff(world.city, Role.FEDERATION_ADMIN))
    text = visible_text(client.get(reverse("dashboard:home"), params(world.city)).content.decode())
    assert "测试待办" in text and "测试会员数" in text and "测试栏目" in text


def test_page_queries_are_bounded(client, world, django_assert_max_num_queries):
    """About 70 for the dashboard's own figures (a month's trend is a query a day), plus what
    the published figures and pending counters cost (a few each, in both periods)."""
    from gonghui.members import figures as registry

    client.force_login(make_staff(world.city, Role.FEDERATION_ADMIN))
    client.get(reverse("dashboard:home"), params(world.city))  # warm the session
    bound = 80 + 6 * len(registry.figures()) + 3 * len(registry.pending())
    with django_assert_max_num_queries(bound):
        assert client.get(reverse("dashboard:home"), params(world.city)).status_code == 200
