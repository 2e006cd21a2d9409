"""The academy demo step: three published courses with lessons and a quiz each; the demo member
holds the 安全生产 certificate, which verifies; a second run adds nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from gonghui.academy import signing
from gonghui.academy.models import Certificate, Choice, Course, Lesson, Quiz
from gonghui.demo import services as demo
from gonghui.demo.steps import academy as step
from gonghui.orgs.models import Org
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_academy_demo_step_is_complete_and_idempotent():
    demo._orgs()
    union = next(o for o in Org.objects.order_by("pk") if o.accepts_members)
    make_member(union, phone="13857600001", name="演示会员")
    with transaction.atomic():
        assert step.load() > 0
    titles = set(Course.objects.filter(is_published=True).values_list("title", flat=True))
    assert titles == {"安全生产", "劳动法律常识", "数控技能（初级工）"}
    for course in Course.objects.all():
        assert course.lessons.count() == 3 and course.quizzes.count() == 1
        assert all(
            q.choices.filter(is_correct=True).exists() for q in course.quizzes.get().questions.all()
        )
    cert = Certificate.objects.get()
    assert cert.title == "安全生产" and signing.certificate_verify(cert.number, cert.signature)
    counts = (
        Course.objects.count(),
        Lesson.objects.count(),
        Quiz.objects.count(),
        Choice.objects.count(),
        Certificate.objects.count(),
    )
    with transaction.atomic():
        assert step.load() == 0
    assert counts == (
        Course.objects.count(),
        Lesson.objects.count(),
        Quiz.objects.count(),
        Choice.objects.count(),
        Certificate.objects.count(),
    )
