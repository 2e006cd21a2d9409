"""Staff console of the academy: org-scoped (other unions' rows are 404 and absent from lists),
audited writes, read-only enrolments and certificates."""

from __future__ import annotations

import pytest
from django.test import Client

from gonghui.academy import services, signing
from gonghui.academy.models import Certificate, Course
from gonghui.core.models import AuditEntry
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff, org_child, org_root

from .factories import make_course, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    root = org_root()
    a, b = org_child(root), org_child(root)
    course = make_course(a, title="甲工会课程")
    quiz = make_quiz(course, [[True, False]])
    member = make_member(a)
    enrolment = services.course_enrol(member=member, course=course)
    cert = services.certificate_issue(member=member, org=a, title="电工", skill_level="junior")
    return {
        "root": root,
        "a": a,
        "b": b,
        "course": course,
        "quiz": quiz,
        "cert": cert,
        "enrolment": enrolment,
    }


def test_console_is_org_scoped(world):
    w = world
    c = Client()
    c.force_login(make_staff(w["b"], Role.UNION_ADMIN))
    question = w["quiz"].questions.get()
    for url in (
        f"/admin/academy/course/{w['course'].pk}/change/",
        f"/admin/academy/quiz/{w['quiz'].pk}/change/",
        f"/admin/academy/question/{question.pk}/change/",
        f"/admin/academy/enrolment/{w['enrolment'].pk}/change/",
        f"/admin/academy/certificate/{w['cert'].pk}/change/",
    ):
        assert c.get(url).status_code == 404, url
    assert "甲工会课程" not in c.get("/admin/academy/course/").content.decode()
    assert w["cert"].number not in c.get("/admin/academy/certificate/").content.decode()
    c.force_login(make_staff(w["a"], Role.UNION_ADMIN))
    assert c.get(f"/admin/academy/course/{w['course'].pk}/change/").status_code == 200
    assert w["cert"].number in c.get("/admin/academy/certificate/").content.decode()
    page = c.get(f"/admin/academy/certificate/{w['cert'].pk}/change/")
    assert page.status_code == 200 and w["cert"].signature in page.content.decode()


def test_course_with_lessons_created_and_audited(world):
    w = world
    c = Client()
    c.force_login(make_staff(w["a"], Role.UNION_ADMIN))
    form = {
        "org": w["a"].pk,
        "title": "数控技能入门",
        "category": "skills",
        "description": "",
        "skill_level": "junior",
        "is_published": "on",
        "lessons-TOTAL_FORMS": "1",
        "lessons-INITIAL_FORMS": "0",
        "lessons-MIN_NUM_FORMS": "0",
        "lessons-MAX_NUM_FORMS": "1000",
        "lessons-0-order": "1",
        "lessons-0-kind": "video",
        "lessons-0-title": "认识数控车床",
        "lessons-0-url": "https://video.example/1",
        "lessons-0-body": "",
        "lessons-0-duration_minutes": "15",
    }
    r = c.post("/admin/academy/course/add/", form)
    assert r.status_code == 302, r.content.decode()[:3000]
    course = Course.objects.get(title="数控技能入门")
    assert course.lessons.get().title == "认识数控车床"
    assert AuditEntry.objects.filter(
        action="academy.course.create", object_id=str(course.pk)
    ).exists()
    # an org outside the scope is not a choice
    form["org"] = w["b"].pk
    form["title"] = "越权课程"
    r = c.post("/admin/academy/course/add/", form)
    assert r.status_code == 200 and not Course.objects.filter(title="越权课程").exists()


def test_enrolments_and_certificates_are_read_only(world):
    w = world
    c = Client()
    c.force_login(make_staff(w["a"], Role.UNION_ADMIN))
    assert c.get("/admin/academy/enrolment/add/").status_code == 403
    before = w["cert"].holder_name
    c.post(f"/admin/academy/certificate/{w['cert'].pk}/change/", {"holder_name": "张三"})
    w["cert"].refresh_from_db()
    assert w["cert"].holder_name == before


def test_console_issues_a_skill_level_certificate_record(world):
    w = world
    member = make_member(w["a"], name="赵工匠")
    outsider = make_member(w["b"], name="外单位")
    c = Client()
    c.force_login(make_staff(w["a"], Role.UNION_ADMIN))
    assert c.get("/admin/academy/certificate/add/").status_code == 200
    form = {"org": w["a"].pk, "member": member.pk, "title": "数控车工", "skill_level": ""}
    r = c.post("/admin/academy/certificate/add/", form)
    assert r.status_code == 200 and not Certificate.objects.filter(member=member).exists()
    r = c.post(
        "/admin/academy/certificate/add/",
        form | {"member": outsider.pk, "skill_level": "technician"},
    )
    assert r.status_code == 200 and not Certificate.objects.filter(member=outsider).exists()
    r = c.post("/admin/academy/certificate/add/", form | {"skill_level": "technician"})
    assert r.status_code == 302, r.content.decode()[:3000]
    cert = Certificate.objects.get(member=member)
    assert (cert.course, cert.skill_level, cert.holder_name) == (None, "technician", "赵工匠")
    assert signing.certificate_verify(cert.number, cert.signature) == cert
    assert AuditEntry.objects.filter(
        action="academy.certificate.issue", object_id=str(cert.pk)
    ).exists()
    assert ServiceEvent.objects.filter(kind="academy.certificate", member=member).count() == 1


def test_auditor_reads_but_cannot_change(world):
    w = world
    c = Client()
    c.force_login(make_staff(w["a"], Role.AUDITOR))
    assert c.get(f"/admin/academy/course/{w['course'].pk}/change/").status_code == 200
    assert c.get("/admin/academy/course/add/").status_code == 403
    assert c.get("/admin/academy/certificate/add/").status_code == 403
