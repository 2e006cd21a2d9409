"""Members API: member sign-in and enrolment, staff review and search; every role, every endpoint."""

from __future__ import annotations

import pytest
from django.test import Client

from gonghui.core.models import AuditEntry
from gonghui.members.models import Enrolment, Member, TransferRequest
from gonghui.members.privacy import PRIVACY_NOTICE_VERSION
from gonghui.members.services import service_event_record
from gonghui.members.transfers import transfer_request_create
from gonghui.orgs.models import Role
from gonghui.orgs.scoping import roles_with
from tests.factories import id_number_for, make_member, make_staff, phone_for
from tests.members.enrol_helpers import last_code, make_world, submit

pytestmark = pytest.mark.django_db
API = "/api/v1/members"
JSON = "application/json"


@pytest.fixture
def world():
    return make_world()


def post(client: Client, path: str, data: dict | None = None, **kw):
    return client.post(f"{API}{path}", data or {}, content_type=JSON, **kw)


def get(client: Client, path: str, **kw):
    return client.get(f"{API}{path}", **kw)


def request_code(client: Client, outbox, phone: str, purpose: str) -> str:
    r = post(client, "/otp", {"phone": phone, "purpose": purpose})
    assert r.status_code == 202, r.content
    return last_code(outbox, phone)


def enrol_payload(world, n: int, **kw) -> dict:
    data = {
        "name": "李四",
        "id_number": id_number_for(n),
        "org_id": world.union_a.pk,
        "consent_version": PRIVACY_NOTICE_VERSION,
    }
    data.update(kw)
    return data


# --- member side -----------------------------------------------------------------------------
def test_sign_in_profile_history_sign_out(world, sms_outbox):
    member = make_member(world.union_a, n=501, enterprise=world.enterprise_a)
    service_event_record(
        member=member, kind="assistance.visit", source=world.enterprise_a, amount_fen=1500
    )
    c = Client()
    assert get(c, "/me").status_code == 401
    code = request_code(c, sms_outbox, phone_for(501), "sign_in")
    before = c.cookies.get("sessionid")
    r = post(c, "/session", {"phone": phone_for(501), "code": code})
    assert r.status_code == 200, r.content
    assert c.cookies["sessionid"].value != (before.value if before else None)
    body = r.json()
    assert body["member_no"] == member.member_no and body["phone_masked"] == "139****0501"
    r = get(c, "/me")
    assert r.status_code == 200
    me = r.json()
    assert (
        me["org"]["name"] == world.union_a.name
        and me["enterprise"]["name"] == world.enterprise_a.name
    )
    assert phone_for(501) not in r.content.decode() and id_number_for(501) not in r.content.decode()
    events = get(c, "/me/events").json()
    assert [(e["kind"], e["amount_fen"]) for e in events] == [("assistance.visit", 1500)]
    assert c.delete(f"{API}/session").status_code == 204
    assert get(c, "/me").status_code == 401


def test_wrong_code_and_non_member(world, sms_outbox):
    c = Client()
    code = request_code(c, sms_outbox, "13700001111", "sign_in")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = post(c, "/session", {"phone": "13700001111", "code": wrong})
    assert r.status_code == 400
    assert r.json()["code"] == "otp_invalid" and r.json()["field"] == "code"
    r = post(c, "/session", {"phone": "13700001111", "code": code})
    assert r.status_code == 404 and r.json()["code"] == "not_a_member"
    assert r.json()["data"] == {"can_enrol": True}
    # The phone is proved: the visitor may apply without another code.
    r = post(c, "/enrolments", enrol_payload(world, 502))
    assert r.status_code == 201, r.content
    assert Enrolment.objects.get().phone_masked == "137****1111"


def test_enrol_with_verify_then_submit_and_follow_status(world, sms_outbox):
    c = Client()
    assert post(c, "/enrolments", enrol_payload(world, 503)).json()["code"] == "phone_not_verified"
    code = request_code(c, sms_outbox, "13600002222", "enrol")
    r = post(c, "/otp/verify", {"phone": "13600002222", "purpose": "enrol", "code": code})
    assert r.status_code == 200 and r.json()["phone_masked"] == "136****2222"
    # The payload may not switch to another phone than the verified one.
    r = post(c, "/enrolments", enrol_payload(world, 503, phone="13600003333"))
    assert (r.status_code, r.json()["code"]) == (400, "phone_not_verified")
    r = post(c, "/enrolments", enrol_payload(world, 503, employment_type="employee"))
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "submitted" and r.json()["org"]["id"] == world.union_a.pk
    mine = get(c, "/enrolments/mine").json()
    assert [e["status"] for e in mine] == ["submitted"]
    # The verification was used up by the submission.
    assert post(c, "/enrolments", enrol_payload(world, 504)).json()["code"] == "phone_not_verified"
    assert get(Client(), "/enrolments/mine").status_code == 401


def test_enrol_with_phone_and_code_in_one_request(world, sms_outbox):
    c = Client()
    code = request_code(c, sms_outbox, "13500004444", "enrol")
    payload = enrol_payload(
        world,
        505,
        phone="13500004444",
        code=code,
        org_id=world.delivery.pk,
        employment_type="gig",
        gig_trade="rider",
    )
    r = post(c, "/enrolments", payload)
    assert r.status_code == 201, r.content
    e = Enrolment.objects.get()
    assert (e.org, e.gig_trade) == (world.delivery, "rider")


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"id_number": "331021199001011230"}, 400, "id_check", "id_number"),
        ({"name": "A1"}, 400, "name_digits", "name"),
        ({"org_id": 999999}, 400, "org_not_found", "org"),
        ({"enterprise_id": 999999}, 400, "enterprise_not_found", "enterprise"),
        ({"employment_type": "gig"}, 400, "gig_trade_required", "gig_trade"),
        ({"org_id": "root"}, 422, "invalid", "org_id"),
    ],
)
def test_bad_enrolment_input_is_a_clear_4xx_and_changes_nothing(
    world, sms_outbox, changes, status, code, field
):
    c = Client()
    otp = request_code(c, sms_outbox, "13400005555", "enrol")
    assert (
        post(
            c, "/otp/verify", {"phone": "13400005555", "purpose": "enrol", "code": otp}
        ).status_code
        == 200
    )
    payload = enrol_payload(world, 506)
    if changes.get("org_id") == "root":
        payload.pop("org_id")
        changes = {}
    payload.update(changes)
    r = post(c, "/enrolments", payload)
    assert r.status_code == status, r.content
    body = r.json()
    assert (body["code"], body["field"]) == (code, field) and body["message"]
    assert Enrolment.objects.count() == 0


def test_duplicate_id_is_refused_without_naming_the_union(world, sms_outbox):
    # Issue #10 item 6 (membership oracle): no holder union in the answer.
    make_member(world.union_c, n=507)
    c = Client()
    code = request_code(c, sms_outbox, "13300006666", "enrol")
    r = post(c, "/enrolments", enrol_payload(world, 507, phone="13300006666", code=code))
    assert r.status_code == 409
    body = r.json()
    assert (body["code"], body["field"]) == ("id_number_taken", "id_number")
    assert world.union_c.name not in r.content.decode()
    assert not body.get("data")


def test_otp_rate_limit_answers_429(world, sms_outbox):
    c = Client()
    request_code(c, sms_outbox, "13200007777", "sign_in")
    r = post(c, "/otp", {"phone": "13200007777", "purpose": "sign_in"})
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= r.json()["data"]["retry_after"] <= 60
    r = post(c, "/otp", {"phone": "1320000", "purpose": "sign_in"})
    assert (r.status_code, r.json()["field"]) == (400, "phone")


def test_union_search_is_public(world):
    c = Client()
    names = [u["name"] for u in get(c, "/unions", data={"q": "丙阀门"}).json()]
    assert names == [world.union_c.name]
    rows = get(c, "/unions", data={"trade": "rider"}).json()
    assert [u["id"] for u in rows] == [world.delivery.pk] and rows[0]["kind"] == "industry"
    ents = get(c, "/enterprises", data={"q": "甲机械"}).json()
    assert [(e["name"], e["union"]["id"]) for e in ents] == [
        (world.enterprise_a.name, world.union_a.pk)
    ]


def test_member_transfer_request_then_staff_approval(world, sms_outbox):
    member = make_member(world.union_c, n=508)
    c = Client()
    code = request_code(c, sms_outbox, phone_for(508), "sign_in")
    assert post(c, "/session", {"phone": phone_for(508), "code": code}).status_code == 200
    r = post(c, "/transfers", {"to_org_id": world.union_c.pk})
    assert (r.status_code, r.json()["code"]) == (400, "transfer_same_union")
    r = post(
        c, "/transfers", {"to_org_id": world.union_a.pk, "to_enterprise_id": world.enterprise_a.pk}
    )
    assert r.status_code == 201, r.content
    tid = r.json()["id"]
    assert [t["status"] for t in get(c, "/me/transfers").json()] == ["pending"]
    staff = Client()
    staff.force_login(make_staff(world.union_a, Role.REVIEWER))
    r = post(staff, f"/transfers/{tid}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert get(c, "/me").json()["org"]["id"] == world.union_a.pk
    member.refresh_from_db()
    assert member.history.filter(kind="transfer").count() == 1
    assert post(Client(), "/transfers", {"to_org_id": world.union_b.pk}).status_code == 401


def test_csrf_is_enforced_for_visitors_members_and_staff(world, sms_outbox):
    c = Client(enforce_csrf_checks=True)
    r = post(c, "/otp", {"phone": "13100008888", "purpose": "sign_in"})
    assert r.status_code == 403 and sms_outbox == []
    token = get(c, "/csrf").json()["csrf_token"]
    r = post(
        c, "/otp", {"phone": "13100008888", "purpose": "sign_in"}, headers={"X-CSRFToken": token}
    )
    assert r.status_code == 202

    staff = Client(enforce_csrf_checks=True)
    staff.force_login(make_staff(world.union_a, Role.REVIEWER))
    enrolment = submit(world.union_a)
    r = post(staff, f"/enrolments/{enrolment.pk}/approve")
    assert r.status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.status == "submitted" and Member.objects.count() == 0
    token = get(staff, "/csrf").json()["csrf_token"]
    r = post(staff, f"/enrolments/{enrolment.pk}/approve", headers={"X-CSRFToken": token})
    assert r.status_code == 200 and Member.objects.count() == 1


# --- staff side ------------------------------------------------------------------------------
def test_staff_review_through_the_api(world, sms_outbox):
    e1 = submit(world.union_a, n=510)
    e2 = submit(world.union_b, n=511)
    staff = Client()
    staff.force_login(make_staff(world.township, Role.REVIEWER))
    page = get(staff, "/enrolments").json()
    assert page["count"] == 2 and [i["id"] for i in page["items"]] == [e1.pk, e2.pk]
    assert page["items"][0]["id_number_masked"].count("*") == 11
    assert id_number_for(510) not in str(page)
    r = post(staff, f"/enrolments/{e2.pk}/reject", {"reason": ""})
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        400,
        "reason_required",
        "reason",
    )
    r = post(staff, f"/enrolments/{e2.pk}/reject", {"reason": "不是本单位职工"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    r = post(staff, f"/enrolments/{e1.pk}/approve")
    assert r.status_code == 200
    member_no = r.json()["member_no"]
    r = post(staff, f"/enrolments/{e1.pk}/approve")
    assert (r.status_code, r.json()["code"]) == (409, "enrolment_not_pending")
    pending = get(staff, "/enrolments", data={"status": "submitted"}).json()
    assert pending["count"] == 0
    assert get(staff, f"/enrolments/{e1.pk}").json()["member_no"] == member_no


def test_member_search_by_name_number_phone_and_id(world):
    m1 = make_member(world.union_a, n=520, name="赵一")
    m2 = make_member(world.union_b, n=521, name="钱二")
    make_member(world.union_c, n=522, name="赵三")  # another subtree
    staff = Client()
    staff.force_login(make_staff(world.township, Role.UNION_ADMIN))

    def ids(q):
        return [m["id"] for m in get(staff, "/members", data={"q": q}).json()["items"]]

    assert ids("赵") == [m1.pk]
    assert ids(m2.member_no) == [m2.pk]
    assert ids(phone_for(520)) == [m1.pk]
    assert ids("+86 139 0000 0521") == [m2.pk]
    assert ids(id_number_for(521)) == [m2.pk]
    assert ids(id_number_for(522)) == []  # exists, but out of scope
    assert ids(phone_for(521)[:7]) == []  # no partial match on phones
    assert sorted(ids("")) == sorted([m1.pk, m2.pk])


def test_reveal_is_audited(world):
    member = make_member(world.union_a, n=530)
    admin_user = make_staff(world.union_a, Role.UNION_ADMIN)
    staff = Client()
    staff.force_login(admin_user)
    r = post(staff, f"/members/{member.pk}/reveal", {"field": "id_number"}, REMOTE_ADDR="10.5.5.5")
    assert r.status_code == 200 and r.json()["value"] == id_number_for(530)
    entry = AuditEntry.objects.get(action="members.member.reveal_id_number")
    assert (entry.actor, entry.object_id, entry.ip) == (admin_user, str(member.pk), "10.5.5.5")
    assert id_number_for(530) not in str(entry.data)
    r = post(staff, f"/members/{member.pk}/reveal", {"field": "name"})
    assert r.status_code == 422


def test_openapi_lists_the_members_endpoints():
    doc = Client().get("/api/v1/openapi.json").json()
    for p in [
        "/otp",
        "/session",
        "/me",
        "/unions",
        "/enrolments",
        "/enrolments/{enrolment_id}/approve",
        "/members/{member_id}/reveal",
        "/transfers",
    ]:
        assert f"{API}{p}" in doc["paths"], p


# --- every role against every staff endpoint -------------------------------------------------
REVIEW_ROLES = {Role.FEDERATION_ADMIN, Role.UNION_ADMIN, Role.REVIEWER}
VIEW_ROLES = REVIEW_ROLES | {Role.AUDITOR, Role.CASE_WORKER}
REVEAL_ROLES = {Role.FEDERATION_ADMIN, Role.UNION_ADMIN}


def test_capability_table_is_as_the_tests_expect():
    assert roles_with("members.review") == REVIEW_ROLES
    assert roles_with("members.view") == VIEW_ROLES
    assert roles_with("members.reveal") == REVEAL_ROLES


def _fixtures_for_role(world, n: int):
    enrolment = submit(world.union_a, n=n)
    enrolment2 = submit(world.union_a, n=n + 1)
    member = make_member(world.union_a, n=n + 2)
    mover = make_member(world.union_c, n=n + 3)
    mover2 = make_member(world.union_c, n=n + 4)
    t1 = transfer_request_create(member=mover, to_org=world.union_a)
    t2 = transfer_request_create(member=mover2, to_org=world.union_a)
    return enrolment, enrolment2, member, t1, t2


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["in_scope", "other_subtree"])
def test_every_role_against_every_staff_endpoint(world, role, where, sms_outbox):
    enrolment, enrolment2, member, t1, t2 = _fixtures_for_role(world, 600)
    org = world.township if where == "in_scope" else world.other_township
    staff = Client()
    staff.force_login(make_staff(org, role))
    inside = where == "in_scope"
    review = inside and role in REVIEW_ROLES
    view = inside and role in VIEW_ROLES
    reveal = inside and role in REVEAL_ROLES

    listed = [i["id"] for i in get(staff, "/enrolments").json()["items"]]
    assert (enrolment.pk in listed) is review
    assert get(staff, f"/enrolments/{enrolment.pk}").status_code == (200 if review else 404)
    r = post(staff, f"/enrolments/{enrolment2.pk}/reject", {"reason": "材料不全"})
    assert r.status_code == (200 if review else 404)
    r = post(staff, f"/enrolments/{enrolment.pk}/approve")
    assert r.status_code == (200 if review else 404)
    if not review:
        assert r.json()["code"] == "not_found"
    assert Enrolment.objects.filter(status="submitted").count() == (0 if review else 2)

    listed = [i["id"] for i in get(staff, "/transfers").json()["items"]]
    assert (t1.pk in listed) is review
    assert post(staff, f"/transfers/{t1.pk}/approve").status_code == (200 if review else 404)
    r = post(staff, f"/transfers/{t2.pk}/reject", {"reason": "名额已满"})
    assert r.status_code == (200 if review else 404)
    assert TransferRequest.objects.filter(status="pending").count() == (0 if review else 2)

    listed = [i["id"] for i in get(staff, "/members").json()["items"]]
    assert (member.pk in listed) is view
    assert get(staff, f"/members/{member.pk}").status_code == (200 if view else 404)
    r = post(staff, f"/members/{member.pk}/reveal", {"field": "phone"})
    assert r.status_code == (200 if reveal else 403 if view else 404)
    assert AuditEntry.objects.filter(action="members.member.reveal_phone").count() == (
        1 if reveal else 0
    )


STAFF_ENDPOINTS = [
    ("get", "/enrolments"),
    ("get", "/enrolments/{e}"),
    ("post", "/enrolments/{e}/approve"),
    ("post", "/enrolments/{e}/reject"),
    ("get", "/transfers"),
    ("post", "/transfers/{t}/approve"),
    ("post", "/transfers/{t}/reject"),
    ("get", "/members"),
    ("get", "/members/{m}"),
    ("post", "/members/{m}/reveal"),
]


@pytest.mark.parametrize(("method", "path"), STAFF_ENDPOINTS)
def test_staff_endpoints_refuse_visitors_members_and_non_staff(world, sms_outbox, method, path):
    enrolment, _e2, member, t1, _t2 = _fixtures_for_role(world, 700)
    url = path.format(e=enrolment.pk, t=t1.pk, m=member.pk)
    body = {"reason": "理由理由", "field": "phone"}
    signed_in_member = Client()
    code = request_code(signed_in_member, sms_outbox, phone_for(702), "sign_in")
    assert (
        post(signed_in_member, "/session", {"phone": phone_for(702), "code": code}).status_code
        == 200
    )
    not_staff = Client()
    user = make_staff(world.root, Role.FEDERATION_ADMIN)
    user.is_staff = False
    user.save()
    not_staff.force_login(user)
    for client in (Client(), signed_in_member, not_staff):
        r = post(client, url, body) if method == "post" else get(client, url)
        assert r.status_code == 401, (url, r.content)
    assert Enrolment.objects.filter(status="submitted").count() == 2
    assert not AuditEntry.objects.filter(action__startswith="members.member.reveal").exists()
