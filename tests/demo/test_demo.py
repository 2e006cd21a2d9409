"""`gonghui demo`: exact counts, valid identifiers, one login per role, idempotent."""

from __future__ import annotations

import io
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from gonghui.core.identifiers import luhn_valid, normalize_phone, parse_id_number, validate_uscc
from gonghui.core.models import AuditEntry, Sequence
from gonghui.demo import data
from gonghui.members import pii
from gonghui.members.models import EmploymentType, Enrolment, GigTrade, Member, MemberHistory
from gonghui.orgs.models import Enterprise, Org, Role, RoleAssignment


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for this module, inside a transaction rolled back afterwards."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            started = time.monotonic()
            output = run_demo()
            yield {"output": output, "seconds": time.monotonic() - started}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


pytestmark = pytest.mark.django_db


def test_orgs_and_enterprises(demo):
    orgs = Org.objects.all()
    assert Counter(orgs.values_list("kind", flat=True)) == {
        Org.Kind.FEDERATION: 1,
        Org.Kind.DISTRICT: 3,
        Org.Kind.INDUSTRY: 2,
        Org.Kind.GRASSROOTS: 12,
    }
    fed = Org.objects.get(kind=Org.Kind.FEDERATION)
    assert fed.name == "玉环市总工会" and fed.region_code == "331021" and fed.is_root()
    assert set(Org.objects.filter(kind=Org.Kind.DISTRICT).values_list("name", flat=True)) == {
        "玉城街道总工会",
        "坎门街道总工会",
        "楚门镇总工会",
    }
    industries = {o.name: o for o in Org.objects.filter(kind=Org.Kind.INDUSTRY)}
    assert industries["玉环市快递物流行业工会联合会"].trade == Org.Trade.EXPRESS
    assert industries["玉环市外卖配送行业工会联合会"].trade == Org.Trade.DELIVERY
    for org in orgs.exclude(pk=fed.pk):
        assert org.path.startswith(fed.path)
    for org in orgs.filter(kind=Org.Kind.GRASSROOTS):
        assert org.get_parent().kind in (Org.Kind.DISTRICT, Org.Kind.INDUSTRY)
    for org in orgs:
        assert validate_uscc(org.uscc) == org.uscc and org.uscc.startswith("81")

    enterprises = Enterprise.objects.select_related("union")
    assert enterprises.count() == 30
    for e in enterprises:
        assert validate_uscc(e.uscc) == e.uscc
        assert e.union.kind == Org.Kind.GRASSROOTS
    assert 0 < enterprises.filter(is_above_scale=True).count() < 30
    assert {e.union_id for e in enterprises} == set(
        Org.objects.filter(kind=Org.Kind.GRASSROOTS).values_list("pk", flat=True)
    )

    # Enrolments awaiting review in the console's queue.
    pending = Enrolment.objects.filter(status=Enrolment.Status.SUBMITTED).select_related("org")
    assert pending.count() == 5
    member_ids = set(Member.objects.values_list("id_number_index", flat=True))
    for e in pending:
        parse_id_number(pii.open_id_number(e))
        assert e.id_number_index not in member_ids
        assert e.org.accepts_members
    assert pending.filter(employment_type=EmploymentType.GIG).count() == 2


def test_members(demo):
    members = list(Member.objects.select_related("org", "enterprise"))
    assert len(members) == 2000
    assert MemberHistory.objects.filter(kind=MemberHistory.Kind.JOINED).count() == 2000
    ids, phones = set(), set()
    industry = {o.pk: o for o in Org.objects.filter(kind=Org.Kind.INDUSTRY)}
    parent = {o.pk: o.get_parent() for o in Org.objects.exclude(depth=1)}
    for m in members:
        id_number = pii.open_id_number(m)
        parsed = parse_id_number(id_number)
        assert (parsed.birth_date, parsed.gender) == (m.birth_date, m.gender)
        assert m.id_number_masked == id_number[:3] + "*" * 11 + id_number[-4:]
        phone = pii.open_phone(m)
        assert normalize_phone(phone) == phone
        assert m.id_number_index == pii.id_number_index(id_number)
        ids.add(id_number)
        phones.add(phone)
        assert len(m.member_no) == 11 and luhn_valid(m.member_no)
        assert m.org.accepts_members
        if m.enterprise is not None:
            assert m.enterprise.union_id == m.org_id
        in_industry = m.org.kind == Org.Kind.INDUSTRY or parent[m.org_id].kind == Org.Kind.INDUSTRY
        if m.employment_type == EmploymentType.GIG:
            assert in_industry and m.gig_trade in GigTrade.values and m.gig_trade
            fed = m.org if m.org_id in industry else parent[m.org_id]
            expected = {"express": {"courier", "truck_driver"}, "delivery": {"rider"}}[fed.trade]
            assert m.gig_trade in expected
        else:
            assert not in_industry and m.gig_trade == "" and m.enterprise is not None
        assert m.joined_on.year - m.birth_date.year >= 18
    assert len(ids) == 2000 and len(phones) == 2000
    gig = [m for m in members if m.employment_type == EmploymentType.GIG]
    assert len(gig) == 400  # 20%
    assert {m.gig_trade for m in gig} == {"courier", "truck_driver", "rider"}
    assert len({m.name for m in members}) > 1000  # realistic variety, not "会员1…"
    assert all(2 <= len(m.name) <= 3 for m in members)
    demo_member = Member.objects.get(phone_index=pii.phone_index(data.DEMO_MEMBER_PHONE))
    assert demo_member.status == Member.Status.ACTIVE


def test_one_login_per_role_and_the_superuser(demo):
    User = get_user_model()
    for role in Role.values:
        holders = RoleAssignment.objects.filter(role=role).select_related("user")
        assert holders.count() == 1, role
        user = holders.get().user
        assert user.is_staff and user.is_active and not user.is_superuser
        assert user.username in demo["output"]
    assert (
        User.objects.get(username="fed_admin").role_assignments.get().role == Role.FEDERATION_ADMIN
    )
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.count() == len(Role.values) + 1
    # Every demo login has the published password, hashed with Argon2 (one hash, checked once).
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1 and hashes.pop().startswith("argon2")
    assert admin.check_password(data.PASSWORD)


def test_output_lists_the_logins_and_where_to_go(demo, client):
    assert demo["seconds"] < 30  # the whole demo, members included
    out = demo["output"]
    assert "http://127.0.0.1:8000/admin/" in out and "http://127.0.0.1:8000/m/" in out
    assert data.PASSWORD in out and data.DEMO_MEMBER_PHONE in out
    assert "server log" in out
    for spec in data.STAFF:
        assert f"  {spec.username} " in out
    # A printed login works.
    response = client.post(
        "/admin/login/", {"username": "reviewer", "password": data.PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_second_run_changes_nothing(demo):
    def snapshot():
        return {
            "orgs": list(Org.objects.order_by("pk").values_list("pk", "path", "code")),
            "enterprises": list(Enterprise.objects.order_by("pk").values_list("pk", "uscc")),
            "members": list(
                Member.objects.order_by("pk").values_list("pk", "member_no", "id_number_cipher")
            ),
            "history": MemberHistory.objects.count(),
            "enrolments": list(
                Enrolment.objects.order_by("pk").values_list("pk", "id_number_cipher")
            ),
            "users": list(get_user_model().objects.order_by("pk").values_list("pk", "password")),
            "roles": RoleAssignment.objects.count(),
            "sequences": list(Sequence.objects.order_by("name").values_list("name", "last_value")),
            "audit": AuditEntry.objects.count(),
        }

    before = snapshot()
    assert run_demo() == demo["output"]
    assert snapshot() == before


def test_same_people_on_every_generation():
    first, second = data.members_and_enrolments(), data.members_and_enrolments()
    assert first == second
