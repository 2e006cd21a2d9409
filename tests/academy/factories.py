"""Factories of the academy tests (built on tests/factories.py)."""

from __future__ import annotations

from gonghui.academy.models import Choice, Course, Lesson, Question, Quiz


def make_course(org, *, title="安全生产", published=True, lessons=1, **kw) -> Course:
    course = Course.objects.create(
        org=org, title=title, category=kw.pop("category", "safety"), is_published=published, **kw
    )
    for i in range(lessons):
        Lesson.objects.create(
            course=course, order=i + 1, kind="text", title=f"第{i + 1}课", body="内容"
        )
    return course


def make_quiz(course, spec, *, pass_mark=60, lesson=None) -> Quiz:
    """spec: list of questions, each a list of booleans (is_correct per choice)."""
    quiz = Quiz.objects.create(
        course=course, lesson=lesson, title="测验", pass_mark_percent=pass_mark
    )
    for i, flags in enumerate(spec):
        q = Question.objects.create(
            quiz=quiz, order=i + 1, text=f"问题{i + 1}", multiple=sum(flags) > 1
        )
        for j, ok in enumerate(flags):
            Choice.objects.create(question=q, order=j + 1, text=f"选项{j + 1}", is_correct=ok)
    return quiz


def right_answers(quiz: Quiz) -> dict[str, list[int]]:
    return {
        str(q.pk): [c.pk for c in q.choices.all() if c.is_correct] for q in quiz.questions.all()
    }
