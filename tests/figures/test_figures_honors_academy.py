"""The honours (model workers, craftsmen, volunteers) and academy figures (issue #13 item 4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gonghui.academy.models import Certificate, Enrolment, LessonProgress
from gonghui.honors.models import (
    Honoree,
    HonourLevel,
    VolunteerParticipation,
    VolunteerService,
    VolunteerTeam,
)
from gonghui.members import figures
from tests.academy.factories import make_course
from tests.factories import make_member, next_n
from tests.figures.helpers import (
    AFTER,
    AFTER_DAY,
    BEFORE,
    BEFORE_DAY,
    FIRST,
    IN,
    IN_DAY,
    assert_figures,
    make_tree,
)

pytestmark = pytest.mark.django_db


def _honoree(org, level: str, year: int) -> None:
    Honoree.objects.create(org=org, name="劳模", level=level, title="model_worker", year=year)


def _service(org, on: dt.date, hours: list[str]) -> None:
    team = VolunteerTeam.objects.create(org=org, name=f"劳模志愿队{next_n()}")
    service = VolunteerService.objects.create(
        team=team, title="助企行", date=on, kind="enterprise_help", hours=Decimal("2")
    )
    for h in hours:
        VolunteerParticipation.objects.create(
            service=service, member=make_member(org), hours=Decimal(h)
        )


def test_honors_figures_by_union_and_district():
    tree = make_tree()
    _honoree(tree.a, HonourLevel.NATIONAL, 2020)
    _honoree(tree.a, HonourLevel.CITY, 2026)
    _honoree(tree.a, HonourLevel.CITY, 2027)  # honoured after the period
    _honoree(tree.b, HonourLevel.CITY, 2019)
    _honoree(tree.other, HonourLevel.CITY, 2019)
    _service(tree.a, IN_DAY, ["2.5", "1"])
    _service(tree.a, BEFORE_DAY, ["3"])
    _service(tree.a, AFTER_DAY, ["3"])
    _service(tree.b, IN_DAY, [])
    _service(tree.other, IN_DAY, ["8"])

    assert_figures(
        tree,
        {
            f"honors.honorees.{HonourLevel.NATIONAL}": (1, 0),
            f"honors.honorees.{HonourLevel.PROVINCIAL}": (0, 0),
            f"honors.honorees.{HonourLevel.CITY}": (1, 1),
            "honors.volunteer_services": (1, 1),
            "honors.volunteer_hours": (Decimal("3.5"), Decimal(0)),
        },
    )
    assert figures.figure("honors.volunteer_hours").unit == figures.Unit.HOURS


def test_academy_figures_by_union_and_district():
    tree = make_tree()
    for org, enrolled, lessons, certified in [
        (tree.a, IN, [IN, FIRST], IN),
        (tree.a, BEFORE, [IN], None),
        (tree.a, AFTER, [AFTER], AFTER),
        (tree.b, IN, [BEFORE], IN),
        (tree.other, IN, [IN], IN),
    ]:
        course = make_course(org, lessons=len(lessons))
        member = make_member(org)
        enrolment = Enrolment.objects.create(course=course, member=member)
        Enrolment.objects.filter(pk=enrolment.pk).update(enrolled_at=enrolled)
        for lesson, at in zip(course.lessons.order_by("order"), lessons, strict=True):
            LessonProgress.objects.create(enrolment=enrolment, lesson=lesson, completed_at=at)
        if certified:
            Certificate.objects.create(
                org=org,
                member=member,
                course=course,
                number=f"CERT{enrolment.pk:06d}",
                holder_name=member.name,
                title=course.title,
                issued_at=certified,
                signature="x" * 64,
            )
    assert_figures(
        tree,
        {
            "academy.enrolments": (1, 1),
            "academy.lessons": (3, 0),
            "academy.certificates": (1, 1),
        },
    )
