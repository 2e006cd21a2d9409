"""The craftsman academy (玉环工匠学院云课堂): courses with lessons and quizzes, members'
enrolments and progress, quiz attempts, and signed certificates (of a course or of a skill level)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gonghui.core.skills import SkillLevel
from gonghui.members.models import Member
from gonghui.orgs.models import Org


class Category(models.TextChoices):
    SKILLS = "skills", _("Skills")
    SAFETY = "safety", _("Work safety")
    LAW = "law", _("Labour law")
    OTHER = "other", _("Other")


class Course(models.Model):
    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="courses"
    )
    title = models.CharField(_("Title"), max_length=120)
    category = models.CharField(_("Category"), max_length=12, choices=Category.choices)
    description = models.TextField(_("Description"), blank=True)
    skill_level = models.CharField(
        _("Skill level"), max_length=20, choices=SkillLevel.choices, blank=True
    )
    is_published = models.BooleanField(_("Published"), default=False)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Course")
        verbose_name_plural = _("Courses")
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    class Kind(models.TextChoices):
        VIDEO = "video", _("Video link")
        DOCUMENT = "document", _("Document")
        TEXT = "text", pgettext_lazy("lesson kind", "Text")

    course = models.ForeignKey(
        Course, verbose_name=_("Course"), on_delete=models.CASCADE, related_name="lessons"
    )
    order = models.PositiveSmallIntegerField(_("Order"), default=1)
    kind = models.CharField(_("Kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    title = models.CharField(_("Title"), max_length=120)
    url = models.URLField(_("Link"), blank=True)
    body = models.TextField(_("Text"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("Duration (minutes)"), default=10)

    class Meta:
        verbose_name = _("Lesson")
        verbose_name_plural = _("Lessons")
        ordering = ["course", "order", "pk"]

    def __str__(self) -> str:
        return self.title


class Enrolment(models.Model):
    course = models.ForeignKey(
        Course, verbose_name=_("Course"), on_delete=models.PROTECT, related_name="enrolments"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="enrolments"
    )
    enrolled_at = models.DateTimeField(pgettext_lazy("course", "Enrolled at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("Completed at"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("course", "Enrolment")
        verbose_name_plural = pgettext_lazy("course", "Enrolments")
        constraints = [
            models.UniqueConstraint(fields=["course", "member"], name="academy_enrolment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.course}"


class LessonProgress(models.Model):
    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.CASCADE,
        related_name="progress",
        verbose_name=pgettext_lazy("course", "Enrolment"),
    )
    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="progress", verbose_name=_("Lesson")
    )
    completed_at = models.DateTimeField(_("Completed at"))

    class Meta:
        verbose_name = _("Lesson progress")
        verbose_name_plural = _("Lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "lesson"], name="academy_progress_unique")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} · {self.lesson}"


class Quiz(models.Model):
    course = models.ForeignKey(
        Course, verbose_name=_("Course"), on_delete=models.CASCADE, related_name="quizzes"
    )
    lesson = models.ForeignKey(
        Lesson,
        verbose_name=_("Lesson"),
        on_delete=models.CASCADE,
        related_name="quizzes",
        null=True,
        blank=True,
    )
    title = models.CharField(_("Title"), max_length=120)
    pass_mark_percent = models.PositiveSmallIntegerField(_("Pass mark (%)"), default=60)

    class Meta:
        verbose_name = _("Quiz")
        verbose_name_plural = _("Quizzes")
        ordering = ["course", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pass_mark_percent__lte=100), name="academy_pass_mark_range"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    quiz = models.ForeignKey(
        Quiz, verbose_name=_("Quiz"), on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveSmallIntegerField(_("Order"), default=1)
    text = models.TextField(_("Question"))
    multiple = models.BooleanField(_("More than one correct choice"), default=False)

    class Meta:
        verbose_name = _("Question")
        verbose_name_plural = _("Questions")
        ordering = ["quiz", "order", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Choice(models.Model):
    question = models.ForeignKey(
        Question, verbose_name=_("Question"), on_delete=models.CASCADE, related_name="choices"
    )
    order = models.PositiveSmallIntegerField(_("Order"), default=1)
    text = models.CharField(_("Choice"), max_length=200)
    is_correct = models.BooleanField(_("Correct"), default=False)

    class Meta:
        verbose_name = _("Choice")
        verbose_name_plural = _("Choices")
        ordering = ["question", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class QuizAttempt(models.Model):
    enrolment = models.ForeignKey(
        Enrolment,
        verbose_name=pgettext_lazy("course", "Enrolment"),
        on_delete=models.CASCADE,
        related_name="attempts",
    )
    quiz = models.ForeignKey(
        Quiz, verbose_name=_("Quiz"), on_delete=models.CASCADE, related_name="attempts"
    )
    answers = models.JSONField(_("Answers"), default=dict)
    score_percent = models.PositiveSmallIntegerField(_("Score (%)"))
    passed = models.BooleanField(pgettext_lazy("quiz", "Passed"))
    at = models.DateTimeField(_("Submitted at"))

    class Meta:
        verbose_name = _("Quiz attempt")
        verbose_name_plural = _("Quiz attempts")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.quiz} · {self.score_percent}%"


class Certificate(models.Model):
    """A signed certificate: of a completed course, or a skill-level record (course empty).

    ``holder_name``, ``title`` and ``skill_level`` are copied at issue; the signature covers them,
    so a later change of any signed field makes the certificate fail verification."""

    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="certificates"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="certificates"
    )
    course = models.ForeignKey(
        Course,
        verbose_name=_("Course"),
        on_delete=models.PROTECT,
        related_name="certificates",
        null=True,
        blank=True,
    )
    number = models.CharField(_("Certificate number"), max_length=32, unique=True)
    holder_name = models.CharField(_("Holder"), max_length=60)
    title = models.CharField(_("Title"), max_length=120)
    skill_level = models.CharField(
        _("Skill level"), max_length=20, choices=SkillLevel.choices, blank=True
    )
    issued_at = models.DateTimeField(_("Issued at"))
    signature = models.CharField(_("Signature"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("Certificate")
        verbose_name_plural = _("Certificates")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "course"],
                condition=models.Q(course__isnull=False),
                name="academy_certificate_one_per_course",
            )
        ]

    def __str__(self) -> str:
        return self.number
