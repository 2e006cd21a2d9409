"""Writes of the academy: enrolment, lesson completion, quiz submission, course completion and
certificates.

Quiz scoring: a question counts as correct only when the set of chosen choices is exactly the
set of its correct choices (for a single-answer question: the one correct choice; for a
multiple-answer question: all correct choices and no wrong one). The score is
correct / total × 100 rounded half up to a whole percent (2 of 3 → 67, 1 of 8 → 13); a quiz
without questions scores 100. The attempt passes when score ≥ the quiz's pass mark.

A course is complete when every lesson is done and every quiz of the course has a passing
attempt; completing it issues the course certificate (once)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core.errors import Refused
from gonghui.core.sequences import sequence_take
from gonghui.core.skills import SkillLevel
from gonghui.core.timeutil import now
from gonghui.members.models import Member
from gonghui.members.services import service_event_record
from gonghui.orgs.models import Org

from . import signing
from .models import Certificate, Course, Enrolment, Lesson, LessonProgress, Quiz, QuizAttempt


def score_percent(correct: int, total: int) -> int:
    """correct / total × 100, rounded half up; 100 for an empty quiz."""
    if total <= 0:
        return 100
    return (correct * 200 + total) // (total * 2)


def quiz_score(quiz: Quiz, answers: Mapping[str, Iterable[int]]) -> tuple[int, int, int]:
    """(correct questions, total questions, score percent) of ``answers`` (question id → choice
    ids)."""
    questions = list(quiz.questions.prefetch_related("choices"))
    correct = 0
    for q in questions:
        right = {c.pk for c in q.choices.all() if c.is_correct}
        chosen = {int(c) for c in answers.get(str(q.pk), ())}
        if right and chosen == right:
            correct += 1
    return correct, len(questions), score_percent(correct, len(questions))


def _active_member(member: Member) -> None:
    if member.status != Member.Status.ACTIVE:
        raise Refused(code="member_inactive", message=_("Your membership is not active."))


@transaction.atomic
def course_enrol(*, member: Member, course: Course) -> Enrolment:
    """Enrol ``member`` in a published course; enrolling again returns the enrolment."""
    if not course.is_published:
        raise Refused(code="not_published", message=_("This course is not open."))
    _active_member(member)
    enrolment, _created = Enrolment.objects.get_or_create(course=course, member=member)
    return enrolment


def _enrolment_locked(enrolment: Enrolment) -> Enrolment:
    return (
        Enrolment.objects.select_for_update()
        .select_related("course", "member")
        .get(pk=enrolment.pk)
    )


@transaction.atomic
def lesson_complete(*, enrolment: Enrolment, lesson: Lesson) -> LessonProgress:
    """Mark a lesson done (once); may complete the course."""
    enrolment = _enrolment_locked(enrolment)
    if lesson.course_id != enrolment.course_id:
        raise Refused(code="wrong_course", message=_("This lesson is not part of the course."))
    progress, created = LessonProgress.objects.get_or_create(
        enrolment=enrolment, lesson=lesson, defaults={"completed_at": now()}
    )
    if created:
        service_event_record(
            member=enrolment.member,
            kind="academy.lesson_completed",
            source=progress,
            org=enrolment.course.org,
        )
        course_complete_if_done(enrolment=enrolment)
    return progress


@transaction.atomic
def quiz_submit(
    *, enrolment: Enrolment, quiz: Quiz, answers: Mapping[str, Iterable[Any]]
) -> QuizAttempt:
    """Score and record one attempt; a passing attempt may complete the course."""
    enrolment = _enrolment_locked(enrolment)
    if quiz.course_id != enrolment.course_id:
        raise Refused(code="wrong_course", message=_("This quiz is not part of the course."))
    clean: dict[str, list[int]] = {}
    valid = {str(qid): set(ids) for qid, ids in _choice_ids_by_question(quiz).items()}
    for key, chosen in answers.items():
        key = str(key)
        if key not in valid:
            raise Refused(code="bad_answer", message=_("An answer does not fit the quiz."))
        try:
            ids = sorted({int(c) for c in chosen})
        except (TypeError, ValueError):
            raise Refused(
                code="bad_answer", message=_("An answer does not fit the quiz.")
            ) from None
        if not set(ids) <= valid[key]:
            raise Refused(code="bad_answer", message=_("An answer does not fit the quiz."))
        clean[key] = ids
    if not any(clean.values()):
        # An empty form is no attempt: it would be graded 0 % and count against the member.
        # A question left open among answered ones is graded as wrong, as on paper.
        raise Refused(
            code="no_answer",
            message=_("Answer the questions before you submit."),
        )
    _correct, _total, score = quiz_score(quiz, clean)
    attempt = QuizAttempt.objects.create(
        enrolment=enrolment,
        quiz=quiz,
        answers=clean,
        score_percent=score,
        passed=score >= quiz.pass_mark_percent,
        at=now(),
    )
    if attempt.passed:
        course_complete_if_done(enrolment=enrolment)
    return attempt


def _choice_ids_by_question(quiz: Quiz) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {q.pk: [] for q in quiz.questions.all()}
    from .models import Choice

    for qid, cid in Choice.objects.filter(question__quiz=quiz).values_list("question_id", "pk"):
        out[qid].append(cid)
    return out


def course_done(enrolment: Enrolment) -> bool:
    lessons = set(enrolment.course.lessons.values_list("pk", flat=True))
    done = set(enrolment.progress.values_list("lesson_id", flat=True))
    quizzes = set(enrolment.course.quizzes.values_list("pk", flat=True))
    passed = set(enrolment.attempts.filter(passed=True).values_list("quiz_id", flat=True))
    return lessons <= done and quizzes <= passed


@transaction.atomic
def course_complete_if_done(*, enrolment: Enrolment) -> Certificate | None:
    """Complete the enrolment and issue the certificate when every lesson and quiz is done."""
    enrolment = _enrolment_locked(enrolment)
    if enrolment.completed_at is not None:
        return Certificate.objects.filter(member=enrolment.member, course=enrolment.course).first()
    if not course_done(enrolment):
        return None
    enrolment.completed_at = now()
    enrolment.save(update_fields=["completed_at"])
    course = enrolment.course
    return certificate_issue(
        member=enrolment.member,
        org=course.org,
        title=course.title,
        course=course,
        skill_level=course.skill_level,
    )


@transaction.atomic
def certificate_issue(
    *,
    member: Member,
    org: Org,
    title: str,
    course: Course | None = None,
    skill_level: str = "",
    actor: Any = None,
    ip: str | None = None,
) -> Certificate:
    """Issue a signed certificate: of a course (once per member and course) or a skill-level
    record (``course`` None, ``skill_level`` required)."""
    if skill_level and skill_level not in SkillLevel.values:
        raise Refused(code="skill_level", message=_("Unknown skill level."), field="skill_level")
    if course is None and not skill_level:
        raise Refused(
            code="skill_level",
            message=_("A certificate without a course needs a skill level."),
            field="skill_level",
        )
    if course is not None:
        existing = Certificate.objects.filter(member=member, course=course).first()
        if existing is not None:
            return existing
    title = (title or "").strip()
    if not title:
        raise Refused(code="title", message=_("A certificate needs a title."), field="title")
    issued_at = now()
    seq = sequence_take(name=f"academy.certificate.{issued_at.year}")[0]
    cert = Certificate(
        org=org,
        member=member,
        course=course,
        number=f"GHC{issued_at.year}{seq:06d}",
        holder_name=member.name,
        title=title[:120],
        skill_level=skill_level,
        issued_at=issued_at.replace(microsecond=0),
    )
    cert.signature = signing.certificate_signature(cert)
    cert.save()
    service_event_record(member=member, kind="academy.certificate", source=cert, org=org)
    if actor is not None:
        from gonghui.core.audit import audit_record

        audit_record(
            actor=actor,
            action="academy.certificate.issue",
            obj=cert,
            org=org,
            data={"number": cert.number, "skill_level": skill_level},
            ip=ip,
        )
    return cert
