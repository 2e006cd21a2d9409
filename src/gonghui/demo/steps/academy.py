"""Demo academy (玉环工匠学院云课堂): three published courses of the city federation — 安全生产,
劳动法律常识 and 数控技能 (a junior skill-level course) — each with lessons (text, video link,
document) and one quiz; the demo member has finished 安全生产 and holds its certificate. Keyed:
courses by (org, title), lessons by (course, order), quizzes by (course, title), questions by
(quiz, order); enrolment, progress and certificate through the idempotent services."""

from __future__ import annotations

from gonghui.academy import services
from gonghui.academy.models import Choice, Course, Lesson, Question, Quiz
from gonghui.demo import data
from gonghui.members.models import Member
from gonghui.members.pii import phone_index
from gonghui.orgs.models import Org

ORDER = 72

# title, category, skill level, description, lessons (kind, title, url, body, minutes),
# quiz questions (text, [(choice, correct), ...])
COURSES = [
    (
        "安全生产",
        "safety",
        "",
        "车间安全生产基础：劳动防护用品、机械伤害预防、消防与应急疏散。",
        [
            (
                "text",
                "劳动防护用品的正确使用",
                "",
                "进入车间必须按岗位要求佩戴安全帽、防护眼镜、防护手套和劳保鞋。\n"
                "操作旋转设备时严禁戴手套，长发须盘入工作帽内。",
                10,
            ),
            (
                "video",
                "机械伤害的预防",
                "https://www.example.org/academy/safety/machine.mp4",
                "",
                15,
            ),
            (
                "text",
                "火灾报警与应急疏散",
                "",
                "发现火情立即拨打119，按疏散指示标志从最近的安全出口撤离，不乘电梯。",
                10,
            ),
        ],
        [
            (
                "操作车床等旋转设备时，下列做法正确的是？",
                [("戴手套操作", False), ("长发盘入工作帽内", True), ("穿宽松衣服", False)],
            ),
            (
                "发生火灾时应当：",
                [("拨打119报警", True), ("乘电梯撤离", False), ("按疏散标志从安全出口撤离", True)],
            ),
        ],
    ),
    (
        "劳动法律常识",
        "law",
        "",
        "劳动合同、工资支付、工作时间和休息休假、工伤认定：职工维权的法律常识。",
        [
            (
                "text",
                "劳动合同的订立",
                "",
                "用人单位自用工之日起即与劳动者建立劳动关系，应当在一个月内订立书面劳动合同。",
                10,
            ),
            (
                "document",
                "《中华人民共和国劳动合同法》全文",
                "https://www.example.org/academy/law/labour-contract-law.pdf",
                "",
                30,
            ),
            (
                "text",
                "工资支付与加班费",
                "",
                "工资应当以货币形式按月支付；安排加班的，按不低于工资的150%支付加班费，"
                "休息日安排工作又不能安排补休的按200%，法定休假日按300%。",
                10,
            ),
        ],
        [
            (
                "用人单位应当在用工之日起多长时间内订立书面劳动合同？",
                [("一个月", True), ("三个月", False), ("一年", False)],
            ),
            (
                "法定休假日安排加班，加班费不低于工资的：",
                [("150%", False), ("200%", False), ("300%", True)],
            ),
        ],
    ),
    (
        "数控技能（初级工）",
        "skills",
        "junior",
        "数控车床操作入门：安全规程、面板操作、基础编程与对刀。结业颁发初级工技能证书。",
        [
            ("video", "认识数控车床", "https://www.example.org/academy/cnc/intro.mp4", "", 20),
            (
                "text",
                "G代码基础",
                "",
                "G00 快速定位，G01 直线插补，G02/G03 顺/逆时针圆弧插补；M03 主轴正转，M05 主轴停止。",
                15,
            ),
            (
                "document",
                "对刀操作指导书",
                "https://www.example.org/academy/cnc/tool-setting.pdf",
                "",
                20,
            ),
        ],
        [
            ("G01 指令的含义是：", [("快速定位", False), ("直线插补", True), ("圆弧插补", False)]),
            ("下列哪些是圆弧插补指令？", [("G02", True), ("G03", True), ("G00", False)]),
        ],
    ),
]


def load() -> int:
    created = 0
    fed = Org.objects.get(code="YH")
    courses = []
    for title, category, level, description, lessons, questions in COURSES:
        course, new = Course.objects.get_or_create(
            org=fed,
            title=title,
            defaults={
                "category": category,
                "skill_level": level,
                "description": description,
                "is_published": True,
            },
        )
        created += new
        for order, (kind, ltitle, url, body, minutes) in enumerate(lessons, start=1):
            _lesson, new = Lesson.objects.get_or_create(
                course=course,
                order=order,
                defaults={
                    "kind": kind,
                    "title": ltitle,
                    "url": url,
                    "body": body,
                    "duration_minutes": minutes,
                },
            )
            created += new
        quiz, new = Quiz.objects.get_or_create(
            course=course, title=f"{title}测验", defaults={"pass_mark_percent": 60}
        )
        created += new
        for order, (text, choices) in enumerate(questions, start=1):
            question, new = Question.objects.get_or_create(
                quiz=quiz,
                order=order,
                defaults={"text": text, "multiple": sum(ok for _c, ok in choices) > 1},
            )
            created += new
            if new:
                for corder, (ctext, ok) in enumerate(choices, start=1):
                    Choice.objects.create(
                        question=question, order=corder, text=ctext, is_correct=ok
                    )
                    created += 1
        courses.append(course)
    member = Member.objects.filter(phone_index=phone_index(data.DEMO_MEMBER_PHONE)).first()
    if member is not None and member.status == Member.Status.ACTIVE:
        course = courses[0]
        enrolment = services.course_enrol(member=member, course=course)
        if enrolment.completed_at is None:
            for lesson in course.lessons.all():
                services.lesson_complete(enrolment=enrolment, lesson=lesson)
            for quiz in course.quizzes.all():
                answers = {
                    str(q.pk): [c.pk for c in q.choices.all() if c.is_correct]
                    for q in quiz.questions.all()
                }
                services.quiz_submit(enrolment=enrolment, quiz=quiz, answers=answers)
            created += 1
    return created
