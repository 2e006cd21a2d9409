"""Issue #10 item 6: the enrolment answer is no membership oracle. An ID number held by a member
(active or former) and one waiting in another application get the same answer, naming no
union; applications are rate-limited per proved phone and per IP, in the database (the limit
holds when the cache is cleared or down)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from gonghui.core.errors import Refused
from gonghui.members.models import Enrolment, Member
from gonghui.members.privacy import PRIVACY_NOTICE_VERSION
from tests.factories import id_number_for, make_member
from tests.members.enrol_helpers import last_code, make_world, submit

pytestmark = pytest.mark.django_db
API = "/api/v1/members"


def post(client: Client, path: str, data: dict, ip: str = "10.0.0.1"):
    return client.post(f"{API}{path}", data, content_type="application/json", REMOTE_ADDR=ip)


def proved_client(outbox, phone: str, ip: str = "10.0.0.1") -> Client:
    c = Client()
    assert post(c, "/otp", {"phone": phone, "purpose": "enrol"}, ip).status_code == 202
    code = last_code(outbox, phone)
    assert (
        post(c, "/otp/verify", {"phone": phone, "purpose": "enrol", "code": code}, ip).status_code
        == 200
    )
    return c


def apply(c: Client, world, n: int, ip: str = "10.0.0.1"):
    return post(
        c,
        "/enrolments",
        {
            "name": "李四",
            "id_number": id_number_for(n),
            "org_id": world.union_a.pk,
            "consent_version": PRIVACY_NOTICE_VERSION,
        },
        ip,
    )


def test_taken_former_and_pending_ids_get_one_identical_answer(sms_outbox):
    world = make_world()
    make_member(world.union_c, n=8101)
    former = make_member(world.union_b, n=8102)
    Member.objects.filter(pk=former.pk).update(status=Member.Status.LEFT)
    submit(org=world.delivery, n=8103)  # pending, free of any member
    c = proved_client(sms_outbox, "13300008100")
    answers = [apply(c, world, n) for n in (8101, 8102, 8103)]
    assert [r.status_code for r in answers] == [409, 409, 409]
    bodies = [r.content for r in answers]
    assert bodies[0] == bodies[1] == bodies[2], bodies
    text = bodies[0].decode()
    for union in (world.union_c, world.union_b, world.delivery):
        assert union.name not in text
    assert apply(c, world, 8104).status_code == 201  # a free ID still works


def test_applications_per_proved_phone_are_limited(sms_outbox, settings):
    settings.GONGHUI_ENROL_MAX_PER_PHONE = 3
    world = make_world()
    for n in (8201, 8202, 8203):
        make_member(world.union_c, n=n)
    c = proved_client(sms_outbox, "13300008200")
    assert [apply(c, world, n).status_code for n in (8201, 8202, 8203)] == [409, 409, 409]
    cache.clear()  # the count is in the database: clearing (or losing) the cache changes nothing
    r = apply(c, world, 8204)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert Enrolment.objects.count() == 0


def test_applications_per_ip_are_limited(sms_outbox, settings):
    settings.GONGHUI_ENROL_MAX_PER_IP = 2
    world = make_world()
    make_member(world.union_c, n=8301)
    c1 = proved_client(sms_outbox, "13300008301", ip="10.9.9.9")
    c2 = proved_client(sms_outbox, "13300008302", ip="10.9.9.9")
    assert apply(c1, world, 8301, ip="10.9.9.9").status_code == 409
    assert apply(c2, world, 8301, ip="10.9.9.9").status_code == 409
    r = apply(c2, world, 8302, ip="10.9.9.9")
    assert r.status_code == 429
    assert apply(c2, world, 8302, ip="10.9.9.10").status_code == 201  # another IP


def test_the_limit_is_counted_in_the_service_too(settings):
    settings.GONGHUI_ENROL_MAX_PER_PHONE = 1
    world = make_world()
    submit(org=world.union_a, n=8401, verified_phone="13300008401", ip="10.1.1.1")
    with pytest.raises(Refused) as exc:
        submit(org=world.union_a, n=8402, verified_phone="13300008401", ip="10.1.1.1")
    assert exc.value.code == "rate_limited" and exc.value.status == 429


def test_the_limits_are_counted_in_the_one_counter_table(settings):
    # Issue #10 follow-up: one rate-limit mechanism (core.throttle, table core_ratecounter);
    # neither the IP nor the phone is stored there in clear.
    from gonghui.core.models import RateCounter
    from gonghui.members import pii

    settings.GONGHUI_ENROL_MAX_PER_PHONE = 1
    world = make_world()
    submit(org=world.union_a, n=8501, verified_phone="13300008501", ip="10.7.7.7")
    buckets = list(RateCounter.objects.values_list("bucket", flat=True))
    assert len(buckets) == 2
    index = pii.phone_index("13300008501")
    assert not any("10.7.7.7" in b or index in b for b in buckets)
