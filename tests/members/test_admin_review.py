"""Console review queues: scoped lists, approve / reject buttons, bulk actions, a browser run."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from gonghui.core.models import AuditEntry
from gonghui.members.models import Enrolment, Member, TransferRequest
from gonghui.members.transfers import transfer_request_create
from gonghui.orgs.models import Role
from tests.factories import id_number_for, make_member, make_staff, phone_for
from tests.members.enrol_helpers import make_world, submit

pytestmark = pytest.mark.django_db
PASSWORD = "pass-Word-123"


@pytest.fixture
def world():
    return make_world()


def console(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(name: str, *args) -> str:
    return reverse(f"admin:members_{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_queue_is_scoped_masked_and_pending_first(world):
    old = submit(world.union_a, n=801, name="老申请")
    newer = submit(world.union_b, n=802, name="新申请")
    decided = submit(world.union_a, n=803, name="已处理")
    other = submit(world.union_c, n=804, name="别处申请")
    reviewer = make_staff(world.township, Role.REVIEWER)
    from gonghui.members.enrolment import enrolment_reject

    enrolment_reject(enrolment=decided, actor=reviewer, reason="材料不全")
    r = console(reviewer).get(url("enrolment_changelist"))
    assert r.status_code == 200
    html = r.content.decode()
    assert html.index("老申请") < html.index("新申请") < html.index("已处理")
    assert "别处申请" not in html
    assert old.id_number_masked in html and id_number_for(801) not in html
    assert phone_for(801) not in html and "139****0801" in html
    # The union filter offers only unions in scope.
    assert world.union_a.name in html and world.union_c.name not in html
    r = console(reviewer).get(url("enrolment_changelist"), {"org": world.union_b.pk})
    assert "新申请" in r.content.decode() and "老申请" not in r.content.decode()
    assert newer.pk and other.pk


@pytest.mark.parametrize(
    ("role", "where"),
    [
        (Role.REVIEWER, "union_c"),
        (Role.UNION_ADMIN, "other_township"),
        (Role.AUDITOR, "union_a"),
        (Role.MERCHANT_STAFF, "root"),
    ],
)
def test_staff_outside_scope_or_without_review_get_404(world, role, where):
    enrolment = submit(world.union_a)
    c = console(make_staff(getattr(world, where), role))
    assert c.get(url("enrolment_change", enrolment.pk)).status_code == 404
    assert c.post(url("enrolment_approve", enrolment.pk)).status_code == 404
    assert c.get(url("enrolment_reject", enrolment.pk)).status_code == 404
    assert c.post(url("enrolment_reject", enrolment.pk), {"reason": "不行不行"}).status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.status == "submitted" and Member.objects.count() == 0


def test_change_page_approve_button(world, sms_outbox):
    enrolment = submit(world.union_a, n=810)
    reviewer = make_staff(world.union_a, Role.REVIEWER)
    c = console(reviewer)
    page = c.get(url("enrolment_change", enrolment.pk)).content.decode()
    assert 'data-testid="approve-enrolment"' in page and 'data-testid="reject-enrolment"' in page
    assert url("enrolment_approve", enrolment.pk) in page
    # A GET never decides.
    assert c.get(url("enrolment_approve", enrolment.pk)).status_code == 405
    r = c.post(url("enrolment_approve", enrolment.pk), follow=True)
    assert r.status_code == 200
    member = Member.objects.get()
    assert any(member.member_no in m for m in messages_of(r))
    enrolment.refresh_from_db()
    assert enrolment.status == "approved" and enrolment.member == member
    assert (
        AuditEntry.objects.filter(action="members.enrolment.approve", actor=reviewer).count() == 1
    )
    # Decided: no more buttons, and a second POST is refused with a message.
    page = c.get(url("enrolment_change", enrolment.pk)).content.decode()
    assert 'data-testid="approve-enrolment"' not in page
    r = c.post(url("enrolment_approve", enrolment.pk), follow=True)
    assert any("already" in m or "已" in m for m in messages_of(r))
    assert Member.objects.count() == 1


def test_console_decisions_need_the_csrf_token(world):
    enrolment = submit(world.union_a)
    c = Client(enforce_csrf_checks=True)
    c.force_login(make_staff(world.union_a, Role.REVIEWER))
    assert c.post(url("enrolment_approve", enrolment.pk)).status_code == 403
    assert c.post(url("enrolment_reject", enrolment.pk), {"reason": "理由理由"}).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.status == "submitted"


def test_reject_page_requires_a_reason(world, sms_outbox):
    enrolment = submit(world.union_a, n=811)
    c = console(make_staff(world.union_a, Role.REVIEWER))
    page = c.get(url("enrolment_reject", enrolment.pk)).content.decode()
    assert 'data-testid="reject-reason"' in page and 'data-testid="reject-submit"' in page
    for reason in ("", "x"):
        r = c.post(url("enrolment_reject", enrolment.pk), {"reason": reason})
        assert r.status_code == 200 and 'data-testid="reject-errors"' in r.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.status == "submitted"
    r = c.post(url("enrolment_reject", enrolment.pk), {"reason": "不是本单位职工"})
    assert r.status_code == 302 and r["Location"] == url("enrolment_change", enrolment.pk)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.reject_reason) == ("rejected", "不是本单位职工")
    assert "不是本单位职工" in sms_outbox[-1][1]


def test_bulk_approve_reports_successes_and_refusals(world, sms_outbox):
    ok1 = submit(world.union_a, n=820)
    ok2 = submit(world.union_b, n=821)
    clash = submit(world.union_a, n=822)
    make_member(world.union_c, n=823, phone=phone_for(822))  # the phone is taken meanwhile
    c = console(make_staff(world.township, Role.REVIEWER))
    r = c.post(
        url("enrolment_changelist"),
        {"action": "approve_selected", ACTION_CHECKBOX_NAME: [ok1.pk, ok2.pk, clash.pk]},
        follow=True,
    )
    assert r.status_code == 200
    msgs = messages_of(r)
    assert any("2" in m for m in msgs)
    assert any(clash.name in m for m in msgs)
    statuses = dict(Enrolment.objects.values_list("pk", "status"))
    assert statuses == {ok1.pk: "approved", ok2.pk: "approved", clash.pk: "submitted"}


def test_bulk_reject_asks_for_one_reason(world, sms_outbox):
    e1 = submit(world.union_a, n=830)
    e2 = submit(world.union_b, n=831)
    c = console(make_staff(world.township, Role.REVIEWER))
    data = {"action": "reject_selected", ACTION_CHECKBOX_NAME: [e1.pk, e2.pk]}
    r = c.post(url("enrolment_changelist"), data)
    assert r.status_code == 200 and 'data-testid="reject-reason"' in r.content.decode()
    r = c.post(url("enrolment_changelist"), {**data, "apply": "1", "reason": ""})
    assert 'data-testid="reject-errors"' in r.content.decode()
    assert Enrolment.objects.filter(status="submitted").count() == 2
    r = c.post(
        url("enrolment_changelist"), {**data, "apply": "1", "reason": "重复申请"}, follow=True
    )
    assert r.status_code == 200
    assert set(Enrolment.objects.values_list("status", "reject_reason")) == {
        ("rejected", "重复申请")
    }
    assert AuditEntry.objects.filter(action="members.enrolment.reject").count() == 2


def test_queue_is_closed_to_staff_without_review(world):
    submit(world.union_a)
    c = console(make_staff(world.union_a, Role.AUDITOR))
    assert c.get(url("enrolment_changelist")).status_code == 403


def test_transfer_queue_of_the_receiving_union(world, sms_outbox):
    member = make_member(world.union_c, n=840)
    transfer = transfer_request_create(member=member, to_org=world.union_a)
    sending = console(make_staff(world.union_c, Role.REVIEWER))
    assert sending.get(url("transferrequest_change", transfer.pk)).status_code == 404
    assert sending.post(url("transferrequest_approve", transfer.pk)).status_code == 404
    receiving = console(make_staff(world.union_a, Role.REVIEWER))
    page = receiving.get(url("transferrequest_change", transfer.pk)).content.decode()
    assert 'data-testid="approve-transfer"' in page and 'data-testid="reject-transfer"' in page
    r = receiving.post(url("transferrequest_approve", transfer.pk), follow=True)
    assert r.status_code == 200
    member.refresh_from_db()
    assert member.org == world.union_a
    assert TransferRequest.objects.get().status == "approved"


def test_transfer_reject_in_console(world, sms_outbox):
    member = make_member(world.union_c, n=841)
    transfer = transfer_request_create(member=member, to_org=world.union_a)
    c = console(make_staff(world.union_a, Role.UNION_ADMIN))
    assert c.post(url("transferrequest_reject", transfer.pk), {"reason": ""}).status_code == 200
    r = c.post(url("transferrequest_reject", transfer.pk), {"reason": "编制已满"})
    assert r.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.status, transfer.reject_reason) == ("rejected", "编制已满")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reviewer_rejects_and_approves_in_the_browser(live_server, browser, sms_outbox):
    world = make_world()
    to_reject = submit(world.union_a, n=850, name="待驳回")
    to_approve = submit(world.union_a, n=851, name="待通过")
    make_staff(world.union_a, Role.REVIEWER, username="reviewer_h2a", password=PASSWORD)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/admin/")
        page.fill("#id_username", "reviewer_h2a")
        page.fill("#id_password", PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_url(re.compile(r".*/admin/$"))

        page.goto(f"{live_server.url}/admin/members/enrolment/")
        page.click("#result_list a:has-text('待驳回')")
        page.click("[data-testid=reject-enrolment]")
        page.click("[data-testid=reject-submit]")  # no reason yet: the form says so
        page.wait_for_selector("[data-testid=reject-errors]")
        page.fill("[data-testid=reject-reason]", "身份信息与单位不符")
        page.click("[data-testid=reject-submit]")
        page.wait_for_url(re.compile(rf".*/admin/members/enrolment/{to_reject.pk}/change/$"))
        assert page.locator("[data-testid=approve-enrolment]").count() == 0

        page.goto(f"{live_server.url}/admin/members/enrolment/")
        page.click("#result_list a:has-text('待通过')")
        page.click("[data-testid=approve-enrolment]")
        page.wait_for_url(re.compile(rf".*/admin/members/enrolment/{to_approve.pk}/change/$"))
        member = Member.objects.get()
        page.wait_for_selector(f"text={member.member_no}")
    finally:
        context.close()
    to_reject.refresh_from_db()
    to_approve.refresh_from_db()
    assert (to_reject.status, to_reject.reject_reason) == ("rejected", "身份信息与单位不符")
    assert to_approve.status == "approved" and to_approve.member == member
