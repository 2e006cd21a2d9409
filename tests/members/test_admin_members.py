"""Member console: masked lists, blind-index search, filters, read-only PII, audited reveal."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from gonghui.core.models import AuditEntry
from gonghui.members.models import EmploymentType, GigTrade, Member, ServiceEvent
from gonghui.orgs.models import Org, Role
from tests.factories import id_number_for, make_member, make_staff, org_child, org_root

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Argon2 is slow by design; these tests log in with force_login, never with a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ID_A = id_number_for(501)  # birth 1985-..., check char computed
PHONE_A = "13905760001"


@pytest.fixture
def world():
    city = org_root(name="市总")
    town = org_child(city, Org.Kind.DISTRICT, name="城关镇总工会")
    u1 = org_child(town, name="城关一厂工会")
    u2 = org_child(town, name="城关二厂工会")
    express = org_child(city, Org.Kind.INDUSTRY, name="快递行业工会", trade=Org.Trade.EXPRESS)
    other_town = org_child(city, Org.Kind.DISTRICT, name="沙门镇总工会")
    other_union = org_child(other_town, name="沙门工会")
    alice = make_member(u1, n=501, name="张晓燕", phone=PHONE_A, id_number=ID_A)
    bob = make_member(u2, n=502, name="李建国")
    rider = make_member(
        express,
        n=503,
        name="王骑手",
        employment_type=EmploymentType.GIG,
        gig_trade=GigTrade.RIDER,
    )
    stranger = make_member(other_union, n=504, name="张三丰")
    Member.objects.filter(pk=bob.pk).update(status=Member.Status.SUSPENDED)
    return {
        "city": city,
        "town": town,
        "u1": u1,
        "u2": u2,
        "express": express,
        "other_union": other_union,
        "alice": alice,
        "bob": bob,
        "rider": rider,
        "stranger": stranger,
    }


def names(response) -> set[str]:
    return {m.name for m in response.context["cl"].result_list}


CHANGELIST = "admin:members_member_changelist"


def reveal_url(member, field):
    return reverse("admin:members_member_reveal", args=[member.pk, field])


def test_list_shows_masked_pii_only(client, world):
    client.force_login(make_staff(world["city"], Role.FEDERATION_ADMIN))
    r = client.get(reverse(CHANGELIST))
    body = r.content.decode()
    assert names(r) == {"张晓燕", "李建国", "王骑手", "张三丰"}
    assert world["alice"].id_number_masked in body and world["alice"].phone_masked in body
    assert ID_A not in body and PHONE_A not in body


def test_search_by_name_member_number_phone_and_id(client, world):
    client.force_login(make_staff(world["town"], Role.REVIEWER))
    url = reverse(CHANGELIST)
    assert names(client.get(url)) == {"张晓燕", "李建国"}
    assert names(client.get(url, {"q": "晓"})) == {"张晓燕"}
    assert names(client.get(url, {"q": "张"})) == {"张晓燕"}  # 张三丰 is out of scope
    assert names(client.get(url, {"q": world["bob"].member_no})) == {"李建国"}
    assert names(client.get(url, {"q": world["bob"].member_no[:-1]})) == set()  # exact only
    for phone in (PHONE_A, "139 0576 0001", "+86 139-0576-0001"):
        assert names(client.get(url, {"q": phone})) == {"张晓燕"}
    assert names(client.get(url, {"q": PHONE_A[:7]})) == set()  # exact only
    assert names(client.get(url, {"q": ID_A})) == {"张晓燕"}
    assert names(client.get(url, {"q": ID_A.lower()})) == {"张晓燕"}
    assert names(client.get(url, {"q": ID_A[:-1]})) == set()
    # Out of scope stays invisible whatever the search.
    stranger_phone = "13900000504"
    assert names(client.get(url, {"q": stranger_phone})) == set()
    assert names(client.get(url, {"q": world["stranger"].member_no})) == set()


def test_filters(client, world):
    client.force_login(make_staff(world["city"], Role.FEDERATION_ADMIN))
    url = reverse(CHANGELIST)
    assert names(client.get(url, {"status__exact": "suspended"})) == {"李建国"}
    assert names(client.get(url, {"employment_type__exact": "gig"})) == {"王骑手"}
    assert names(client.get(url, {"gig_trade__exact": "rider"})) == {"王骑手"}
    assert names(client.get(url, {"org_tree": world["u1"].pk})) == {"张晓燕"}


def test_org_filter_lists_only_orgs_in_scope(client, world):
    client.force_login(make_staff(world["town"], Role.REVIEWER))
    body = client.get(reverse(CHANGELIST)).content.decode()
    assert "城关一厂工会" in body and "沙门工会" not in body


def test_change_page_pii_read_only_and_reveal_buttons(client, world):
    client.force_login(make_staff(world["town"], Role.UNION_ADMIN))
    url = reverse("admin:members_member_change", args=[world["alice"].pk])
    r = client.get(url)
    assert r.status_code == 200
    form = r.context["adminform"].form
    for field in ("id_number_masked", "phone_masked", "member_no", "org", "status"):
        assert field not in form.fields
    assert "name" in form.fields
    body = r.content.decode()
    assert world["alice"].id_number_masked in body
    assert ID_A not in body and PHONE_A not in body
    assert reveal_url(world["alice"], "id_number") in body
    assert reveal_url(world["alice"], "phone") in body
    assert 'data-reveal="id_number"' in body


def test_no_reveal_button_without_the_capability(client, world):
    client.force_login(make_staff(world["town"], Role.REVIEWER))
    r = client.get(reverse("admin:members_member_change", args=[world["alice"].pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert "data-reveal" not in body
    assert reveal_url(world["alice"], "id_number") not in body
    assert world["alice"].id_number_masked in body


def test_reveal_id_number_is_audited_and_never_logged_in_full(client, world):
    admin_user = make_staff(world["town"], Role.UNION_ADMIN)
    client.force_login(admin_user)
    r = client.post(reveal_url(world["alice"], "id_number"))
    assert r.status_code == 200
    assert ID_A in r.content.decode()
    assert "no-store" in r["Cache-Control"]
    entry = AuditEntry.objects.get(action="members.member.reveal_id_number")
    assert entry.actor_id == admin_user.pk
    assert entry.object_id == str(world["alice"].pk)
    assert entry.org_id == world["u1"].pk
    assert entry.ip == "127.0.0.1"
    dumped = json.dumps([e.data for e in AuditEntry.objects.all()], ensure_ascii=False)
    assert ID_A not in dumped and PHONE_A not in dumped
    for e in AuditEntry.objects.all():
        assert ID_A not in e.object_repr and PHONE_A not in e.object_repr


def test_reveal_phone(client, world):
    client.force_login(make_staff(world["town"], Role.UNION_ADMIN))
    r = client.post(reveal_url(world["alice"], "phone"))
    assert r.status_code == 200 and PHONE_A in r.content.decode()
    assert AuditEntry.objects.filter(action="members.member.reveal_phone").count() == 1


def test_reveal_refused_answers_404_and_leaves_no_trace(client, world):
    reviewer = make_staff(world["town"], Role.REVIEWER)
    client.force_login(reviewer)
    assert client.post(reveal_url(world["alice"], "id_number")).status_code == 404
    assert client.get(reveal_url(world["alice"], "id_number")).status_code == 404

    client.force_login(make_staff(world["town"], Role.UNION_ADMIN))
    assert (
        client.post(reveal_url(world["stranger"], "id_number")).status_code == 404
    )  # out of scope
    assert client.post(reveal_url(world["alice"], "password")).status_code == 404
    assert (
        client.post(f"/admin/members/member/{world['alice'].pk}x/reveal/phone/").status_code == 404
    )
    assert client.get(reveal_url(world["alice"], "id_number")).status_code == 405  # POST only
    assert not AuditEntry.objects.filter(action__startswith="members.member.reveal").exists()


def test_reveal_needs_csrf(world):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_staff(world["town"], Role.UNION_ADMIN))
    assert csrf_client.post(reveal_url(world["alice"], "id_number")).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="members.member.reveal").exists()


def test_anonymous_reveal_goes_to_login(client, world):
    r = client.post(reveal_url(world["alice"], "id_number"))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_out_of_scope_member_change_page_404(client, world):
    client.force_login(make_staff(world["town"], Role.UNION_ADMIN))
    assert (
        client.get(reverse("admin:members_member_change", args=[world["stranger"].pk])).status_code
        == 404
    )


def test_member_change_edits_work_fields_only_and_is_audited(client, world):
    client.force_login(make_staff(world["town"], Role.UNION_ADMIN))
    alice = world["alice"]
    url = reverse("admin:members_member_change", args=[alice.pk])
    data = {
        "name": "张晓燕",
        "enterprise": "",
        "employment_type": EmploymentType.EMPLOYEE,
        "gig_trade": "",
        "is_frontline": "on",
        "skills": "[]",
        "status": Member.Status.LEFT,  # read-only: ignored
        "org": world["u2"].pk,  # read-only: ignored
        "history-TOTAL_FORMS": "1",
        "history-INITIAL_FORMS": "1",
        "history-MIN_NUM_FORMS": "0",
        "history-MAX_NUM_FORMS": "1000",
        "_save": "1",
    }
    r = client.post(url, data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    alice.refresh_from_db()
    assert alice.is_frontline
    assert alice.status == Member.Status.ACTIVE and alice.org_id == world["u1"].pk
    assert (
        AuditEntry.objects.filter(action="members.member.change", object_id=str(alice.pk)).count()
        == 1
    )


def test_gig_trade_requires_gig_employment(client, world):
    client.force_login(make_staff(world["town"], Role.UNION_ADMIN))
    alice = world["alice"]
    r = client.post(
        reverse("admin:members_member_change", args=[alice.pk]),
        {
            "name": alice.name,
            "employment_type": EmploymentType.EMPLOYEE,
            "gig_trade": GigTrade.RIDER,
            "skills": "[]",
            "history-TOTAL_FORMS": "1",
            "history-INITIAL_FORMS": "1",
            "history-MIN_NUM_FORMS": "0",
            "history-MAX_NUM_FORMS": "1000",
            "_save": "1",
        },
    )
    assert r.status_code == 200  # refused with a form error, not a database error
    alice.refresh_from_db()
    assert alice.gig_trade == ""


def test_history_inline_read_only(client, world):
    client.force_login(make_staff(world["town"], Role.REVIEWER))
    r = client.get(reverse("admin:members_member_change", args=[world["alice"].pk]))
    inline = r.context["inline_admin_formsets"][0]
    assert inline.formset.model.__name__ == "MemberHistory"
    assert len(inline.formset.forms) == 1
    assert not inline.has_add_permission and not inline.has_change_permission
    assert not inline.has_delete_permission


def test_nobody_adds_or_deletes_members_in_the_console(client, world, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-Pass-123"))
    assert client.get(reverse("admin:members_member_add")).status_code == 403
    assert (
        client.get(reverse("admin:members_member_delete", args=[world["alice"].pk])).status_code
        == 403
    )


def test_service_event_list_read_only_and_scoped(client, world):
    from django.db import transaction

    from gonghui.members.services import service_event_record

    with transaction.atomic():
        service_event_record(
            member=world["alice"],
            kind="benefits.redemption",
            source=world["alice"],
            amount_fen=1250,
        )
        service_event_record(
            member=world["stranger"], kind="benefits.redemption", source=world["stranger"]
        )
    client.force_login(make_staff(world["town"], Role.REVIEWER))
    r = client.get(reverse("admin:members_serviceevent_changelist"))
    assert r.status_code == 200
    assert [e.member_id for e in r.context["cl"].result_list] == [world["alice"].pk]
    assert "¥12.50" in r.content.decode()
    ev = ServiceEvent.objects.get(member=world["alice"])
    assert client.get(reverse("admin:members_serviceevent_change", args=[ev.pk])).status_code == 200
    assert (
        client.post(reverse("admin:members_serviceevent_change", args=[ev.pk]), {}).status_code
        == 403
    )
    assert client.get(reverse("admin:members_serviceevent_add")).status_code == 403
    other = ServiceEvent.objects.get(member=world["stranger"])
    assert (
        client.get(reverse("admin:members_serviceevent_change", args=[other.pk])).status_code == 404
    )
