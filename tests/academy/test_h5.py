"""Member H5 pages of the academy and the public verification page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gonghui.academy import services
from gonghui.academy.models import Certificate
from gonghui.core.errors import Refused
from gonghui.members import h5menu
from gonghui.members.session import SESSION_MEMBER_KEY
from tests.factories import make_member, org_child, org_root

from .factories import make_course, make_quiz, right_answers

pytestmark = pytest.mark.django_db


def sign_in(client, member):
    session = client.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()


@pytest.fixture
def union():
    return org_child(org_root())


def test_menu_entry_registered():
    assert "academy" in [e.key for e in h5menu.entries()]


def test_pages_need_a_member(client):
    r = client.get(reverse("academy:list"))
    assert r.status_code == 302 and "/m/login" in r["Location"]


def test_member_finishes_a_course_on_h5(client, union):
    member = make_member(union, name="王小明")
    course = make_course(union, title="安全生产", lessons=1)
    hidden = make_course(union, title="未发布课程", published=False)
    quiz = make_quiz(course, [[True, False]], pass_mark=100)
    sign_in(client, member)
    page = client.get(reverse("academy:list")).content.decode()
    assert "安全生产" in page and "未发布课程" not in page
    assert client.get(reverse("academy:course", args=[hidden.pk])).status_code == 404
    assert client.post(reverse("academy:enrol", args=[course.pk])).status_code == 302
    lesson = course.lessons.get()
    client.post(reverse("academy:lesson_done", args=[course.pk, lesson.pk]))
    q = quiz.questions.get()
    wrong = q.choices.get(is_correct=False)
    r = client.post(reverse("academy:quiz", args=[course.pk, quiz.pk]), {f"q{q.pk}": [wrong.pk]})
    assert r.status_code == 200 and 'data-testid="quiz-failed"' in r.content.decode()
    assert not Certificate.objects.exists()
    right = right_answers(quiz)[str(q.pk)]
    r = client.post(reverse("academy:quiz", args=[course.pk, quiz.pk]), {f"q{q.pk}": right})
    assert r.status_code == 302
    cert = Certificate.objects.get(member=member)
    page = client.get(reverse("academy:course", args=[course.pk])).content.decode()
    assert cert.number in page
    r = client.get(reverse("academy:certificate_pdf", args=[cert.number]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    m = re.search(rb"/URI \((http[^)]+)\)", r.content)
    assert m is not None
    url = m.group(1).decode()
    assert url.endswith(f"/verify/certificate/{cert.number}/{cert.signature}/")
    client.logout()
    r = client.get(url.split("testserver", 1)[1])
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-testid="verify-valid"' in body and "王**" in body and "王小明" not in body


def test_only_the_owner_downloads_the_pdf(client, union):
    owner = make_member(union)
    other = make_member(union)
    cert = services.certificate_issue(member=owner, org=union, title="电工", skill_level="junior")
    sign_in(client, other)
    assert client.get(reverse("academy:certificate_pdf", args=[cert.number])).status_code == 404
    assert cert.number not in client.get(reverse("academy:certificates")).content.decode()
    sign_in(client, owner)
    assert client.get(reverse("academy:certificate_pdf", args=[cert.number])).status_code == 200


def test_verify_page_rejects_forged(client, union):
    cert = services.certificate_issue(
        member=make_member(union), org=union, title="电工", skill_level="junior"
    )
    bad = reverse("academy_verify:certificate", args=[cert.number, "0" * 64])
    r = client.get(bad)
    assert r.status_code == 404 and 'data-testid="verify-invalid"' in r.content.decode()
    other_number = reverse(
        "academy_verify:certificate", args=[cert.number[:-1] + "9", cert.signature]
    )
    assert 'data-testid="verify-invalid"' in client.get(other_number).content.decode()


def test_an_empty_quiz_form_is_no_attempt(client, union):
    """Issue #12 item 4: submitting the quiz with nothing ticked was graded as a 0 % attempt."""
    member = make_member(union)
    course = make_course(union, lessons=1)
    quiz = make_quiz(course, [[True, False], [False, True]], pass_mark=100)
    enrolment = services.course_enrol(member=member, course=course)
    sign_in(client, member)
    r = client.post(reverse("academy:quiz", args=[course.pk, quiz.pk]), {})
    assert r.status_code == 200 and 'data-testid="quiz-failed"' not in r.content.decode()
    assert not enrolment.attempts.exists()
    with pytest.raises(Refused) as exc:
        services.quiz_submit(enrolment=enrolment, quiz=quiz, answers={})
    assert exc.value.code == "no_answer"
    q1 = quiz.questions.first()
    half = services.quiz_submit(
        enrolment=enrolment, quiz=quiz, answers={str(q1.pk): [q1.choices.first().pk]}
    )
    assert half.score_percent == 50  # an open question among answered ones counts as wrong
