"""PostgreSQL: ten simultaneous enrolments of one member in one course make one enrolment; ten
simultaneous completions of the last lesson (and ten passing attempts at once) record the lesson
once and issue exactly one certificate."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.academy import services
from gonghui.academy.models import Certificate, Enrolment, LessonProgress, QuizAttempt
from gonghui.members.models import ServiceEvent
from tests.conftest import postgres_only
from tests.factories import make_member, org_child, org_root

from .factories import make_course, make_quiz, right_answers

pytestmark = [postgres_only(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
N = 10


def run_at_once(fn):
    barrier = threading.Barrier(N)

    def worker(i):
        try:
            barrier.wait(timeout=30)
            fn(i)
            return "ok"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=N) as pool:
        return list(pool.map(worker, range(N)))


def test_one_enrolment_one_progress_one_certificate():
    union = org_child(org_root())
    member = make_member(union)
    course = make_course(union, lessons=1)
    quiz = make_quiz(course, [[True, False]])
    assert run_at_once(lambda i: services.course_enrol(member=member, course=course)) == ["ok"] * N
    enrolment = Enrolment.objects.get()
    services.quiz_submit(enrolment=enrolment, quiz=quiz, answers=right_answers(quiz))
    lesson = course.lessons.get()
    assert (
        run_at_once(lambda i: services.lesson_complete(enrolment=enrolment, lesson=lesson))
        == ["ok"] * N
    )
    assert LessonProgress.objects.count() == 1
    assert ServiceEvent.objects.filter(kind="academy.lesson_completed").count() == 1
    assert Certificate.objects.count() == 1
    assert ServiceEvent.objects.filter(kind="academy.certificate").count() == 1


def test_passing_attempts_at_once_issue_one_certificate():
    union = org_child(org_root())
    member = make_member(union)
    course = make_course(union, lessons=1)
    quiz = make_quiz(course, [[True, False]])
    enrolment = services.course_enrol(member=member, course=course)
    services.lesson_complete(enrolment=enrolment, lesson=course.lessons.get())
    answers = right_answers(quiz)
    assert (
        run_at_once(lambda i: services.quiz_submit(enrolment=enrolment, quiz=quiz, answers=answers))
        == ["ok"] * N
    )
    assert QuizAttempt.objects.filter(passed=True).count() == N
    assert Certificate.objects.count() == 1
    assert ServiceEvent.objects.filter(kind="academy.certificate").count() == 1
