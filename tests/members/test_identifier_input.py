"""Identifiers typed any width (full-width digits, ``²``, spaces, mixed) through the API, the H5
join pages, the SMS code check and the roster import: normalised to one form, so the same
person cannot enrol twice, and never a 500 or an aborted import."""

from __future__ import annotations

import pytest
from django.test import Client

from gonghui.members import pii
from gonghui.members.models import Enrolment, ImportJob, Member
from gonghui.members.otp import otp_request, otp_verify
from gonghui.members.privacy import PRIVACY_NOTICE_VERSION
from gonghui.members.roster.importer import roster_import
from gonghui.members.selectors import member_search
from gonghui.orgs.models import Role
from tests.core.test_identifiers_nfkc import fullwidth
from tests.factories import id_number_for, make_member, make_staff, phone_for
from tests.members.enrol_helpers import last_code, make_world
from tests.members.test_roster_support import (  # noqa: F401  (private_root is a fixture)
    World,
    new_job,
    private_root,
    report_rows,
    write_xlsx,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/members"


def post(client: Client, path: str, data: dict):
    return client.post(f"{API}{path}", data, content_type="application/json")


def superscript(number: str) -> str:
    """The number with its first 2 typed as ² (NFKC reads it back as 2)."""
    return number.replace("2", "²", 1)


@pytest.mark.parametrize(
    "typed",
    [
        fullwidth,
        superscript,
        lambda s: f" {s[:6]} {s[6:14]}\u3000{s[14:]} ",
        lambda s: s[:9] + fullwidth(s[9:]),
    ],
    ids=["fullwidth", "superscript", "spaces", "mixed"],
)
def test_api_enrolment_normalises_and_refuses_the_same_person_twice(sms_outbox, typed):
    world = make_world()
    n = 7001
    assert "2" in id_number_for(n)
    c = Client()
    phone = "13300007001"
    r = post(c, "/otp", {"phone": fullwidth(phone), "purpose": "enrol"})
    assert r.status_code == 202, r.content
    code = fullwidth(last_code(sms_outbox, phone))
    body = {
        "name": "李四",
        "id_number": typed(id_number_for(n)),
        "org_id": world.union_a.pk,
        "consent_version": PRIVACY_NOTICE_VERSION,
    }
    r = post(c, "/enrolments", {**body, "phone": fullwidth(phone), "code": code})
    assert r.status_code == 201, r.content
    enrolment = Enrolment.objects.get()
    assert pii.open_id_number(enrolment) == id_number_for(n)
    assert enrolment.id_number_index == pii.id_number_index(id_number_for(n))
    # The same person again, typed plainly from another phone: the blind index matches.
    c2 = Client()
    post(c2, "/otp", {"phone": "13300007002", "purpose": "enrol"})
    r = post(
        c2,
        "/enrolments",
        {
            **body,
            "id_number": id_number_for(n),
            "phone": "13300007002",
            "code": last_code(sms_outbox, "13300007002"),
        },
    )
    assert r.status_code == 409 and Enrolment.objects.count() == 1


def test_api_bad_digit_is_a_clean_400_not_a_500(sms_outbox):
    world = make_world()
    c = Client()
    post(c, "/otp", {"phone": "13300007003", "purpose": "enrol"})
    number = id_number_for(7003)
    r = post(
        c,
        "/enrolments",
        {
            "name": "李四",
            "id_number": number[:10] + "٣" + number[11:],
            "org_id": world.union_a.pk,
            "consent_version": PRIVACY_NOTICE_VERSION,
            "phone": "13300007003",
            "code": last_code(sms_outbox, "13300007003"),
        },
    )
    assert r.status_code == 400 and r.json()["field"] == "id_number"
    assert Enrolment.objects.count() == 0


def test_sms_code_typed_full_width_or_spaced_works(sms_outbox):
    otp_request(phone="13300007004", purpose="sign_in", ip=None)
    code = last_code(sms_outbox, "13300007004")
    assert otp_verify(phone="13300007004", purpose="sign_in", code=fullwidth(code)) == "13300007004"
    otp_request(phone="13300007005", purpose="enrol", ip=None)
    code = last_code(sms_outbox, "13300007005")
    spaced = f"{code[:3]}\u3000{code[3:]}"
    assert otp_verify(phone=fullwidth("133 0000 7005"), purpose="enrol", code=spaced)


def test_h5_join_person_form_takes_full_width_and_superscript(sms_outbox):
    from tests.members.test_h5_join import ID_NUMBER, fill_person, step
    from tests.members.test_h5_support import en_client, make_tree
    from tests.members.test_h5_support import last_code as h5_last_code

    make_tree()
    c = en_client()
    phone = "13812345678"
    c.post("/m/join", {"action": "send", "phone": fullwidth(phone)})
    r = c.post(
        "/m/join",
        {"action": "verify", "phone": fullwidth(phone), "code": fullwidth(h5_last_code(phone))},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert step(c) == 2
    r = fill_person(c, id_number=superscript(fullwidth(ID_NUMBER.lower())))
    assert r.status_code == 302, r.content.decode()[:3000]
    assert step(c) == 3


def test_roster_import_reports_one_bad_row_and_imports_the_rest(tmp_path):
    world = World()
    bad = id_number_for(7012)
    rows = [
        ["张三", fullwidth(id_number_for(7010)), fullwidth(phone_for(7010)), "", "", "", "", ""],
        ["李四", superscript(id_number_for(7011)), phone_for(7011), "", "", "", "", ""],
        ["王五", bad[:10] + "٣" + bad[11:], phone_for(7012), "", "", "", "", ""],
        [
            "赵六",
            f"{id_number_for(7013)[:6]} {id_number_for(7013)[6:]}",
            phone_for(7013),
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    path = write_xlsx(tmp_path / "widths.xlsx", rows)
    job = new_job(world.union, "widths.xlsx")
    result = roster_import(job=job, path=path, batch_size=2)
    assert (result.imported, result.errors) == (3, 1)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert sorted(report_rows(result.report_path)) == [4]
    for n in (7010, 7011, 7013):
        assert Member.objects.filter(id_number_index=pii.id_number_index(id_number_for(n))).exists()


def test_roster_row_that_breaks_a_check_is_reported_not_fatal(tmp_path, monkeypatch):
    from gonghui.members.roster import validate

    world = World()
    real = validate.check_row

    def flaky(number, cells, **kw):
        if number == 3:
            raise ValueError("boom")
        return real(number, cells, **kw)

    monkeypatch.setattr(validate, "check_row", flaky)
    rows = [
        ["张三", id_number_for(7020), phone_for(7020), "", "", "", "", ""],
        ["李四", id_number_for(7021), phone_for(7021), "", "", "", "", ""],
    ]
    result = roster_import(job=new_job(world.union), path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert (result.imported, result.errors) == (1, 1)
    assert sorted(report_rows(result.report_path)) == [3]


def test_member_number_typed_full_width_is_found():
    world = make_world()
    member = make_member(world.union_a)
    admin = make_staff(world.root, Role.FEDERATION_ADMIN)
    assert list(member_search(user=admin, q=fullwidth(member.member_no))) == [member]
    assert list(member_search(user=admin, q=f" {member.member_no[:5]} {member.member_no[5:]}")) == [
        member
    ]
