"""Reads of the academy."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from gonghui.members.models import Member

from .models import Certificate, Course, Enrolment, LessonProgress


def published_courses() -> QuerySet[Course]:
    return Course.objects.filter(is_published=True).select_related("org")


def member_enrolment(member: Member, course: Course) -> Enrolment | None:
    return Enrolment.objects.filter(member=member, course=course).first()


def member_certificates(member: Member) -> QuerySet[Certificate]:
    return Certificate.objects.filter(member=member).select_related("course", "org")


def verify_path(cert: Certificate) -> str:
    return reverse("academy_verify:certificate", args=[cert.number, cert.signature])


# --- figures published to the dashboard (members.figures) ------------------------------------


def figure_enrolments(query: Any) -> int:
    """Enrolments made in the period in the subtree's courses."""
    return Enrolment.objects.filter(
        course__org__path__startswith=query.org.path,
        enrolled_at__gte=query.start,
        enrolled_at__lt=query.end,
    ).count()


def figure_lessons(query: Any) -> int:
    """Lessons completed in the period in the subtree's courses."""
    return LessonProgress.objects.filter(
        enrolment__course__org__path__startswith=query.org.path,
        completed_at__gte=query.start,
        completed_at__lt=query.end,
    ).count()


def figure_certificates(query: Any) -> int:
    """Certificates issued in the period by the subtree's unions."""
    return Certificate.objects.filter(
        org__path__startswith=query.org.path,
        issued_at__gte=query.start,
        issued_at__lt=query.end,
    ).count()
