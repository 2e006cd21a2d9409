"""Every role against every claim view and endpoint: the console's claim page, the document,
the review decisions, the API. Out of scope → 404; every opening of a claim is audited; members
see only their own claims."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from gonghui.core.models import AuditEntry
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.mutualaid.models import AidClaim
from gonghui.orgs.models import Role
from gonghui.orgs.scoping import roles_with
from tests.factories import make_staff, org_child
from tests.orgs.admin_world import staff_by_role

from .factories import PDF, build_world, claim_in, fund, submit

pytestmark = pytest.mark.django_db
WHO = [*(role.value for role in Role), "no_role", "superuser"]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def member_client(member) -> Client:
    c = Client()
    session = SessionStore()
    session[SESSION_MEMBER_KEY] = member.pk
    session.create()
    c.cookies["sessionid"] = session.session_key
    return c


def holds(who: str, capability: str) -> bool:
    return who == "superuser" or who in roles_with(capability)


def test_capabilities_are_what_the_brief_says():
    assert roles_with("mutualaid.view") == {
        Role.FEDERATION_ADMIN,
        Role.UNION_ADMIN,
        Role.REVIEWER,
        Role.CASE_WORKER,
    }
    assert Role.AUDITOR not in roles_with("mutualaid.view")
    assert Role.LAWYER not in roles_with("mutualaid.review")


@pytest.mark.parametrize("who", WHO)
def test_role_against_every_claim_view(who):
    mine = build_world("甲")
    theirs = build_world("乙")
    user = staff_by_role(mine.federation)[who]
    inside = submit(mine)
    outside = submit(theirs)
    doc_in = inside.documents.get()
    doc_out = outside.documents.get()
    c = Client()
    c.force_login(user)
    sees = holds(who, "mutualaid.view")
    reviews = holds(who, "mutualaid.review")
    problems: list[str] = []

    def expect(what: str, got: int, wanted: int) -> None:
        if got != wanted:
            problems.append(f"{what}: {got}, expected {wanted}")

    admin = "/admin/mutualaid/aidclaim"
    expect("changelist", c.get(f"{admin}/").status_code, 200 if sees else 403)
    expect(
        "own claim page", c.get(f"{admin}/{inside.pk}/change/").status_code, 200 if sees else 404
    )
    expect(
        "own claim via API",
        c.get(f"/api/v1/mutualaid/claims/{inside.pk}").status_code,
        200 if sees else 404,
    )
    opened = AuditEntry.objects.filter(action="mutualaid.claim.view", actor=user)
    assert opened.count() == (2 if sees else 0), who
    if sees:
        assert {e.data["via"] for e in opened} == {"console", "api"}
        assert all(e.object_id == str(inside.pk) for e in opened)
    doc = c.get(f"{admin}/{inside.pk}/document/{doc_in.pk}/")
    expect("own document", doc.status_code, 200 if sees else 404)
    if sees:
        assert b"".join(doc.streaming_content) == PDF
        assert AuditEntry.objects.filter(action="mutualaid.document.open", actor=user).count() == 1
    api_list = c.get("/api/v1/mutualaid/claims")
    expect("API list", api_list.status_code, 200)
    listed = {row["id"] for row in api_list.json()} if api_list.status_code == 200 else set()
    expected_list = {inside.pk} if sees else set()
    if who == "superuser":
        expected_list = {inside.pk, outside.pk}
    if listed != expected_list:
        problems.append(f"API list {listed} != {expected_list}")

    # the other tree: 404 for everyone but a superuser
    other_ok = 200 if who == "superuser" else 404
    expect("other's claim page", c.get(f"{admin}/{outside.pk}/change/").status_code, other_ok)
    expect(
        "other's claim via API",
        c.get(f"/api/v1/mutualaid/claims/{outside.pk}").status_code,
        other_ok,
    )
    expect(
        "other's document",
        c.get(f"{admin}/{outside.pk}/document/{doc_out.pk}/").status_code,
        other_ok,
    )
    expect(
        "document under the wrong claim",
        c.get(f"{admin}/{inside.pk}/document/{doc_out.pk}/").status_code,
        404,
    )
    expect(
        "other's check",
        c.post(f"{admin}/{outside.pk}/check/").status_code,
        302 if who == "superuser" else 404,
    )
    expect(
        "other's check via API",
        c.post(f"/api/v1/mutualaid/claims/{outside.pk}/check").status_code,
        409 if who == "superuser" else 404,  # the superuser checked it just above
    )

    # decisions inside the tree
    r = c.post(f"{admin}/{inside.pk}/check/")
    expect("check", r.status_code, 302 if reviews else 404)
    assert AidClaim.objects.get(pk=inside.pk).status == ("checked" if reviews else "submitted"), who
    api = c.post(
        f"/api/v1/mutualaid/claims/{inside.pk}/reject",
        {"reason": "other", "text": "x"},
        content_type="application/json",
    )
    expect("reject via API", api.status_code, 200 if reviews else 404)
    checked = claim_in(mine, "checked")
    expect(
        "approve via API",
        c.post(f"/api/v1/mutualaid/claims/{checked.pk}/approve").status_code,
        200 if reviews else 404,
    )
    approved = claim_in(mine, "approved")
    fund(mine.plan, approved.payout_fen or 0)
    expect(
        "pay in the console",
        c.post(f"{admin}/{approved.pk}/pay/").status_code,
        302 if holds(who, "mutualaid.pay") else 404,
    )
    paid = AidClaim.objects.get(pk=approved.pk).status == "paid"
    assert paid == holds(who, "mutualaid.pay"), who
    second = claim_in(mine, "approved")
    fund(mine.plan, second.payout_fen or 0)
    expect(
        "pay via API",
        c.post(f"/api/v1/mutualaid/claims/{second.pk}/pay").status_code,
        200 if holds(who, "mutualaid.pay") else 404,
    )
    expect("history", c.get(f"{admin}/{inside.pk}/history/").status_code, 200 if sees else 404)
    # the member pages are not for staff: they ask for a member sign-in
    expect("member page", c.get(f"/m/aid/claims/{inside.pk}/").status_code, 302)
    expect("member API", c.get(f"/api/v1/mutualaid/my/claims/{inside.pk}").status_code, 401)
    assert problems == [], who


def test_reviewer_of_a_sibling_union_sees_nothing():
    w = build_world("甲")
    sibling = org_child(w.township, name="兄弟基层工会")
    reviewer = make_staff(sibling, Role.REVIEWER)
    own_reviewer = make_staff(w.union, Role.REVIEWER)
    claim = submit(w)
    c = Client()
    c.force_login(reviewer)
    assert c.get(f"/admin/mutualaid/aidclaim/{claim.pk}/change/").status_code == 404
    assert c.get(f"/api/v1/mutualaid/claims/{claim.pk}").status_code == 404
    assert c.get("/api/v1/mutualaid/claims").json() == []
    c.force_login(own_reviewer)
    assert c.get(f"/admin/mutualaid/aidclaim/{claim.pk}/change/").status_code == 200
    # the township's union admin is a supervisor above: sees it
    c.force_login(make_staff(w.township, Role.UNION_ADMIN))
    assert c.get(f"/api/v1/mutualaid/claims/{claim.pk}").status_code == 200


def test_members_see_only_their_own_claims():
    w = build_world("甲")
    mine = submit(w)
    theirs = submit(w, member=w.members[1])
    doc = theirs.documents.get()
    c = member_client(w.member)
    assert c.get(f"/m/aid/claims/{mine.pk}/").status_code == 200
    assert c.get(f"/m/aid/claims/{theirs.pk}/").status_code == 404
    assert c.get(f"/m/aid/documents/{doc.pk}").status_code == 404
    assert c.get(f"/api/v1/mutualaid/my/claims/{theirs.pk}").status_code == 404
    assert [r["id"] for r in c.get("/api/v1/mutualaid/my/claims").json()] == [mine.pk]
    own_doc = c.get(f"/m/aid/documents/{mine.documents.get().pk}")
    assert own_doc.status_code == 200 and own_doc["Cache-Control"] == "private, no-store"
    assert AuditEntry.objects.filter(action="mutualaid.document.open", data__via="h5").count() == 1
    # staff APIs are not for members, member APIs not for staff
    assert c.get(f"/api/v1/mutualaid/claims/{mine.pk}").status_code == 401
    staff = Client()
    staff.force_login(make_staff(w.union, Role.REVIEWER))
    assert staff.get("/api/v1/mutualaid/my/claims").status_code == 401


def test_figures_are_scoped():
    w = build_world("甲")
    other = build_world("乙")
    c = Client()
    c.force_login(make_staff(w.union, Role.AUDITOR))
    r = c.get(f"/api/v1/mutualaid/figures?org_id={w.union.pk}&year=2026")
    assert r.status_code == 200 and r.json()["insured_person_times"] == 2
    assert c.get(f"/api/v1/mutualaid/figures?org_id={other.union.pk}&year=2026").status_code == 404
    assert c.get(f"/api/v1/mutualaid/figures?org_id={w.federation.pk}&year=2026").status_code == 404
