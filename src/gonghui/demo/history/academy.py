"""A year of 职工学堂: two courses of the past year, members enrolling through the year and
completing lessons over the following days (an event each); those who finish every lesson get
their certificate from the service itself."""

from __future__ import annotations

import datetime as dt

from gonghui.academy import services
from gonghui.academy.models import Category, Course, Enrolment, Lesson, LessonProgress
from gonghui.members.models import Member
from gonghui.orgs.models import Org

from . import bulk
from .calendar import Year, clock_at

ENROLMENTS = 900
FINISH_SHARE = 0.55

COURSES: list[tuple[str, str, list[str]]] = [
    (
        "工会知识应知应会",
        Category.OTHER,
        [
            "工会的性质与职责",
            "会员的权利和义务",
            "职工代表大会制度",
            "集体协商与集体合同",
            "工会经费的来源与使用",
            "工惠码与会员服务",
        ],
    ),
    (
        "职业健康与心理调适",
        Category.SAFETY,
        [
            "常见职业病及其预防",
            "颈肩腰腿痛的自我保健",
            "夜班与轮班的作息调整",
            "压力识别与情绪管理",
            "职工心理援助热线的使用",
        ],
    ),
]


def _courses(root: Org, year: Year) -> list[tuple[Course, list[Lesson]]]:
    out = []
    with clock_at(year.start):
        for title, category, lessons in COURSES:
            course = Course.objects.create(
                org=root,
                title=title,
                category=category,
                description="市总工会职工学堂课程。",
                is_published=True,
            )
            rows = [
                Lesson.objects.create(
                    course=course,
                    order=n,
                    title=lesson,
                    body=f"{lesson}：本课时图文讲解，约十分钟。",
                    duration_minutes=10,
                )
                for n, lesson in enumerate(lessons, start=1)
            ]
            out.append((course, rows))
    return out


def load(*, root: Org, year: Year, members: list[Member]) -> int:
    """Enrolments through ``course_enrol``; the lessons (the volume) bulk-inserted with their
    events (``bulk.events_write``); a finished course's certificate from
    ``course_complete_if_done``, at the time of its last lesson, as ``lesson_complete`` does."""
    rng = year.rng
    courses = _courses(root, year)
    progress: list[LessonProgress] = []
    finished: list[tuple[Enrolment, dt.datetime]] = []
    for day in year.spread(ENROLMENTS, weight="work"):
        course, lessons = rng.choice(courses)
        member = rng.choice(members)
        if member.joined_on > day:
            continue
        at = year.moment(day, 8, 23)
        with clock_at(at):
            enrolment = services.course_enrol(member=member, course=course)
        if enrolment.enrolled_at != at:  # enrolled before: picks up where they left off
            continue
        count = len(lessons) if rng.random() < FINISH_SHARE else rng.randrange(1, len(lessons))
        for n, lesson in enumerate(lessons[:count], start=1):
            at = at + dt.timedelta(hours=rng.randrange(1, 96), minutes=rng.randrange(60))
            if not year.past(at):
                break
            progress.append(LessonProgress(enrolment=enrolment, lesson=lesson, completed_at=at))
            if n == len(lessons):
                finished.append((enrolment, at))
    LessonProgress.objects.bulk_create(progress, batch_size=bulk.BATCH)
    made = bulk.events_write(
        "academy.lesson_completed",
        (
            bulk.Served(p.enrolment.member_id, p.enrolment.course.org_id, p, p.completed_at)
            for p in progress
        ),
    )
    for enrolment, at in finished:
        with clock_at(at):
            services.course_complete_if_done(enrolment=enrolment)
    return made
