"""Academy API (/api/v1/academy/) for members (session signed in by SMS code): published
courses, enrol, complete a lesson, submit a quiz, my certificates. Unsafe methods need the CSRF
token (``X-CSRFToken``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as Answer

from gonghui.core.apischema import Error
from gonghui.core.errors import NotFound
from gonghui.members.apiauth import MemberAuth

from . import selectors, services
from .models import Certificate, Enrolment

router = Router(tags=["academy"])


ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error, 409: Error}


class LessonOut(Schema):
    id: int
    order: int
    kind: str
    title: str
    url: str
    body: str
    duration_minutes: int


class CourseOut(Schema):
    id: int
    title: str
    category: str
    skill_level: str
    description: str
    lessons: list[LessonOut]
    quiz_ids: list[int]


class EnrolmentOut(Schema):
    id: int
    course_id: int
    enrolled_at: dt.datetime
    completed_at: dt.datetime | None
    lessons_done: list[int]
    quizzes_passed: list[int]


class AttemptIn(Schema):
    answers: dict[str, list[int]]


class AttemptOut(Schema):
    id: int
    quiz_id: int
    score_percent: int
    passed: bool
    course_completed: bool


class CertificateOut(Schema):
    number: str
    title: str
    skill_level: str
    issued_at: dt.datetime
    verify_url: str


def _member(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _course_out(course: Any) -> dict[str, Any]:
    return {
        "id": course.pk,
        "title": course.title,
        "category": course.category,
        "skill_level": course.skill_level,
        "description": course.description,
        "lessons": list(course.lessons.all()),
        "quiz_ids": [q.pk for q in course.quizzes.all()],
    }


def _enrolment_out(e: Enrolment) -> dict[str, Any]:
    return {
        "id": e.pk,
        "course_id": e.course_id,
        "enrolled_at": e.enrolled_at,
        "completed_at": e.completed_at,
        "lessons_done": sorted(e.progress.values_list("lesson_id", flat=True)),
        "quizzes_passed": sorted(
            set(e.attempts.filter(passed=True).values_list("quiz_id", flat=True))
        ),
    }


def _my_enrolment(request: HttpRequest, course_id: int) -> Enrolment:
    e = (
        Enrolment.objects.filter(member=_member(request), course_id=course_id)
        .select_related("course")
        .first()
    )
    if e is None:
        raise NotFound(message=_("You are not enrolled in this course."))
    return e


@router.get("/courses", auth=MemberAuth(), response=list[CourseOut])
def courses(request: HttpRequest) -> Any:
    qs = selectors.published_courses().prefetch_related("lessons", "quizzes")[:100]
    return [_course_out(c) for c in qs]


@router.post(
    "/courses/{course_id}/enrol", auth=MemberAuth(), response={200: EnrolmentOut, **ERRORS}
)
def enrol(request: HttpRequest, course_id: int) -> Any:
    course = selectors.published_courses().filter(pk=course_id).first()
    if course is None:
        raise NotFound(message=_("No such course."))
    return Answer(
        200, _enrolment_out(services.course_enrol(member=_member(request), course=course))
    )


@router.post(
    "/courses/{course_id}/lessons/{lesson_id}/complete",
    auth=MemberAuth(),
    response={200: EnrolmentOut, **ERRORS},
)
def complete_lesson(request: HttpRequest, course_id: int, lesson_id: int) -> Any:
    e = _my_enrolment(request, course_id)
    lesson = e.course.lessons.filter(pk=lesson_id).first()
    if lesson is None:
        raise NotFound(message=_("No such lesson."))
    services.lesson_complete(enrolment=e, lesson=lesson)
    e.refresh_from_db()
    return Answer(200, _enrolment_out(e))


@router.post(
    "/courses/{course_id}/quizzes/{quiz_id}/attempts",
    auth=MemberAuth(),
    response={201: AttemptOut, **ERRORS},
)
def submit_quiz(request: HttpRequest, course_id: int, quiz_id: int, body: AttemptIn) -> Any:
    e = _my_enrolment(request, course_id)
    quiz = e.course.quizzes.filter(pk=quiz_id).first()
    if quiz is None:
        raise NotFound(message=_("No such quiz."))
    attempt = services.quiz_submit(enrolment=e, quiz=quiz, answers=body.answers)
    e.refresh_from_db()
    return Answer(
        201,
        {
            "id": attempt.pk,
            "quiz_id": quiz.pk,
            "score_percent": attempt.score_percent,
            "passed": attempt.passed,
            "course_completed": e.completed_at is not None,
        },
    )


@router.get("/me/certificates", auth=MemberAuth(), response=list[CertificateOut])
def my_certificates(request: HttpRequest) -> Any:
    certs: list[Certificate] = list(selectors.member_certificates(_member(request))[:100])
    return [
        {
            "number": c.number,
            "title": c.title,
            "skill_level": c.skill_level,
            "issued_at": c.issued_at,
            "verify_url": request.build_absolute_uri(selectors.verify_path(c)),
        }
        for c in certs
    ]
