"""Reads of the academy."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from gonghui.members.models import Member

from .models import Certificate, Course, Enrolment


def published_courses() -> QuerySet[Course]:
    return Course.objects.filter(is_published=True).select_related("org")


def member_enrolment(member: Member, course: Course) -> Enrolment | None:
    return Enrolment.objects.filter(member=member, course=course).first()


def member_certificates(member: Member) -> QuerySet[Certificate]:
    return Certificate.objects.filter(member=member).select_related("course", "org")


def verify_path(cert: Certificate) -> str:
    return reverse("academy_verify:certificate", args=[cert.number, cert.signature])
