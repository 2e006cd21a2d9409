"""Academy API for members: courses, enrol, complete a lesson, submit a quiz, my certificates."""

from __future__ import annotations

import pytest

from gonghui.academy import signing
from gonghui.members.session import SESSION_MEMBER_KEY
from tests.factories import make_member, org_child, org_root

from .factories import make_course, make_quiz, right_answers

pytestmark = pytest.mark.django_db
BASE = "/api/v1/academy"


def sign_in(client, member):
    session = client.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()


def test_member_finishes_a_course_through_the_api(client):
    union = org_child(org_root())
    member = make_member(union)
    course = make_course(union, lessons=1)
    make_course(union, title="草稿", published=False)
    quiz = make_quiz(course, [[True, False], [True, True, False]])
    assert client.get(f"{BASE}/courses").status_code == 401
    sign_in(client, member)
    listed = client.get(f"{BASE}/courses").json()
    assert [c["id"] for c in listed] == [course.pk] and listed[0]["quiz_ids"] == [quiz.pk]
    lesson_id = listed[0]["lessons"][0]["id"]
    # not enrolled yet: 404
    r = client.post(f"{BASE}/courses/{course.pk}/lessons/{lesson_id}/complete")
    assert r.status_code == 404
    assert client.post(f"{BASE}/courses/{course.pk}/enrol").status_code == 200
    r = client.post(f"{BASE}/courses/{course.pk}/lessons/{lesson_id}/complete")
    assert r.status_code == 200 and r.json()["lessons_done"] == [lesson_id]
    answers = right_answers(quiz)
    q1, q2 = quiz.questions.all()
    half = {str(q1.pk): answers[str(q1.pk)], str(q2.pk): answers[str(q2.pk)][:1]}
    url = f"{BASE}/courses/{course.pk}/quizzes/{quiz.pk}/attempts"
    r = client.post(url, {"answers": half}, content_type="application/json")
    assert r.status_code == 201
    assert r.json() | {"id": 0} == {
        "id": 0,
        "quiz_id": quiz.pk,
        "score_percent": 50,
        "passed": False,
        "course_completed": False,
    }
    r = client.post(url, {"answers": {"0": [1]}}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "bad_answer"
    r = client.post(url, {"answers": answers}, content_type="application/json")
    assert r.json()["passed"] and r.json()["course_completed"]
    certs = client.get(f"{BASE}/me/certificates").json()
    assert len(certs) == 1
    number, sig = certs[0]["verify_url"].rstrip("/").split("/")[-2:]
    assert signing.certificate_verify(number, sig) is not None
    # another member sees none of them
    sign_in(client, make_member(union))
    assert client.get(f"{BASE}/me/certificates").json() == []
    assert (
        client.post(url, {"answers": answers}, content_type="application/json").status_code == 404
    )
