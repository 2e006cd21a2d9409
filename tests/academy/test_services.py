"""Academy services: enrolment, progress, quiz scoring, course completion and certificates."""

from __future__ import annotations

import re
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gonghui.academy import pdf, services, signing
from gonghui.academy.models import Certificate, Enrolment, LessonProgress
from gonghui.core.errors import Refused
from gonghui.members.models import Member, ServiceEvent
from tests.factories import make_member, org_child, org_root

from .factories import make_course, make_quiz, right_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def union():
    return org_child(org_root())


# --- scoring -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("correct", "total", "expected"),
    [
        (0, 3, 0),
        (1, 3, 33),
        (2, 3, 67),
        (3, 3, 100),
        (1, 8, 13),
        (1, 200, 1),
        (1, 400, 0),
        (0, 0, 100),
        (5, 10, 50),
        (7, 8, 88),
    ],
)
def test_score_percent_rounds_half_up(correct, total, expected):
    assert services.score_percent(correct, total) == expected


@given(correct=st.integers(0, 500), extra=st.integers(0, 500))
@settings(max_examples=80)
def test_score_percent_matches_decimal_half_up(correct, extra):
    from decimal import ROUND_HALF_UP, Decimal

    total = correct + extra
    if total == 0:
        return
    want = int((Decimal(correct) * 100 / Decimal(total)).quantize(Decimal(1), ROUND_HALF_UP))
    assert services.score_percent(correct, total) == want


def test_question_counts_only_with_exactly_the_correct_set(union):
    course = make_course(union)
    # q1 single (2nd right); q2 multiple (1st and 3rd right); q3 multiple (all three right)
    quiz = make_quiz(course, [[False, True, False], [True, False, True], [True, True, True]])
    q1, q2, q3 = quiz.questions.all()
    c1, c2, c3 = ([c.pk for c in q.choices.all()] for q in (q1, q2, q3))
    full = right_answers(quiz)
    assert services.quiz_score(quiz, full) == (3, 3, 100)
    assert services.quiz_score(quiz, {})[0:2] == (0, 3)
    # a subset of the right set, a superset, and one wrong choice each fail their question
    partial = {str(q1.pk): [c1[1]], str(q2.pk): [c2[0]], str(q3.pk): c3}
    assert services.quiz_score(quiz, partial) == (2, 3, 67)
    superset = {str(q1.pk): [c1[1]], str(q2.pk): c2, str(q3.pk): c3}
    assert services.quiz_score(quiz, superset) == (2, 3, 67)
    wrong = {str(q1.pk): [c1[0]], str(q2.pk): [c2[0], c2[2]], str(q3.pk): c3[:2]}
    assert services.quiz_score(quiz, wrong) == (1, 3, 33)


@given(data=st.data())
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_quiz_score_property(data, union):
    spec = data.draw(
        st.lists(
            st.lists(st.booleans(), min_size=2, max_size=4).filter(any), min_size=1, max_size=4
        )
    )
    course = make_course(union, lessons=0)
    quiz = make_quiz(course, spec)
    answers: dict[str, list[int]] = {}
    expect_correct = 0
    for q in quiz.questions.all():
        choices = list(q.choices.all())
        picked = data.draw(st.lists(st.sampled_from(choices), unique=True, max_size=len(choices)))
        answers[str(q.pk)] = [c.pk for c in picked]
        expect_correct += {c.pk for c in picked} == {c.pk for c in choices if c.is_correct}
    correct, total, score = services.quiz_score(quiz, answers)
    assert (correct, total) == (expect_correct, len(spec))
    assert score == services.score_percent(expect_correct, len(spec))


# --- enrolment, progress, refusals ----------------------------------------------------------
def test_enrol_refuses_unpublished_and_inactive(union):
    member = make_member(union)
    with pytest.raises(Refused) as exc:
        services.course_enrol(member=member, course=make_course(union, published=False))
    assert exc.value.code == "not_published"
    course = make_course(union)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.LEFT)
    member.refresh_from_db()
    with pytest.raises(Refused) as exc:
        services.course_enrol(member=member, course=course)
    assert exc.value.code == "member_inactive"


def test_enrol_twice_is_one_enrolment(union):
    member = make_member(union)
    course = make_course(union)
    a = services.course_enrol(member=member, course=course)
    b = services.course_enrol(member=member, course=course)
    assert a.pk == b.pk and Enrolment.objects.count() == 1


def test_lesson_complete_once_with_event_and_refuses_other_course(union):
    member = make_member(union)
    course = make_course(union, lessons=2)
    other = make_course(union, title="其他")
    enrolment = services.course_enrol(member=member, course=course)
    first = course.lessons.first()
    services.lesson_complete(enrolment=enrolment, lesson=first)
    services.lesson_complete(enrolment=enrolment, lesson=first)
    assert LessonProgress.objects.filter(enrolment=enrolment).count() == 1
    assert ServiceEvent.objects.filter(kind="academy.lesson_completed", member=member).count() == 1
    with pytest.raises(Refused) as exc:
        services.lesson_complete(enrolment=enrolment, lesson=other.lessons.first())
    assert exc.value.code == "wrong_course"
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None  # one of two lessons
    assert not Certificate.objects.exists()


def test_quiz_submit_refuses_foreign_choices(union):
    member = make_member(union)
    course = make_course(union)
    quiz = make_quiz(course, [[True, False]])
    other_quiz = make_quiz(make_course(union, title="其他"), [[True, False]])
    enrolment = services.course_enrol(member=member, course=course)
    q = quiz.questions.get()
    foreign_choice = other_quiz.questions.get().choices.first().pk
    for answers in (
        {str(q.pk): [foreign_choice]},
        {"999999": []},
        {str(q.pk): ["x"]},
    ):
        with pytest.raises(Refused) as exc:
            services.quiz_submit(enrolment=enrolment, quiz=quiz, answers=answers)
        assert exc.value.code == "bad_answer"
    with pytest.raises(Refused) as exc:
        services.quiz_submit(enrolment=enrolment, quiz=other_quiz, answers={})
    assert exc.value.code == "wrong_course"


def test_course_completes_after_lessons_and_passed_quiz_and_issues_one_certificate(union):
    member = make_member(union, name="王小明")
    course = make_course(union, lessons=2, title="劳动法律常识")
    quiz = make_quiz(course, [[True, False], [False, True]], pass_mark=100)
    enrolment = services.course_enrol(member=member, course=course)
    for lesson in course.lessons.all():
        services.lesson_complete(enrolment=enrolment, lesson=lesson)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None  # quiz not passed yet
    q1 = quiz.questions.first()
    failed = services.quiz_submit(
        enrolment=enrolment, quiz=quiz, answers={str(q1.pk): [q1.choices.first().pk]}
    )
    assert (failed.score_percent, failed.passed) == (50, False)
    assert not Certificate.objects.exists()
    passed = services.quiz_submit(enrolment=enrolment, quiz=quiz, answers=right_answers(quiz))
    assert (passed.score_percent, passed.passed) == (100, True)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None
    cert = Certificate.objects.get()
    assert (cert.member, cert.course, cert.holder_name, cert.title) == (
        member,
        course,
        "王小明",
        "劳动法律常识",
    )
    assert ServiceEvent.objects.filter(kind="academy.certificate", member=member).count() == 1
    # passing again issues nothing new
    services.quiz_submit(enrolment=enrolment, quiz=quiz, answers=right_answers(quiz))
    assert Certificate.objects.count() == 1


# --- certificates ---------------------------------------------------------------------------
def _cert(union, **kw):
    member = make_member(union, name="李四海")
    return services.certificate_issue(
        member=member, org=union, title="数控车工", skill_level="senior", **kw
    )


def test_certificate_numbers_unique_and_skill_level_record(union):
    a = _cert(union)
    b = _cert(union)
    assert a.number != b.number and a.course is None and a.skill_level == "senior"
    with pytest.raises(Refused):
        services.certificate_issue(member=a.member, org=union, title="x", skill_level="guru")
    with pytest.raises(Refused):
        services.certificate_issue(member=a.member, org=union, title="x")


def test_genuine_certificate_verifies(union):
    cert = _cert(union)
    assert signing.certificate_verify(cert.number, cert.signature) == cert
    assert signing.mask_name(cert.holder_name) == "李**"


def test_forged_or_altered_certificate_fails(union):
    cert = _cert(union)
    other = _cert(union)
    sig = cert.signature
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    assert signing.certificate_verify(cert.number, flipped) is None  # altered signature
    assert signing.certificate_verify(cert.number, other.signature) is None  # another's
    assert signing.certificate_verify(other.number, sig) is None  # altered number
    assert signing.certificate_verify("GHC2099000001", sig) is None  # no such number
    assert signing.certificate_verify(cert.number, "") is None
    assert signing.certificate_verify(cert.number, sig.upper()) is None
    # a stored field altered after issue (both the stored and the link signature stay old)
    for field, value in (
        ("holder_name", "张三"),
        ("title", "高级技师"),
        ("skill_level", "technician"),
    ):
        Certificate.objects.filter(pk=cert.pk).update(**{field: value})
        assert signing.certificate_verify(cert.number, sig) is None, field
        Certificate.objects.filter(pk=cert.pk).update(**{field: getattr(cert, field)})
    assert signing.certificate_verify(cert.number, sig) == cert
    # a forged row whose stored signature was copied from the link
    Certificate.objects.filter(pk=cert.pk).update(signature="f" * 64)
    assert signing.certificate_verify(cert.number, sig) is None


def test_signature_depends_on_secret_key(union, settings):
    cert = _cert(union)
    settings.SECRET_KEY = "another-secret-key-for-the-test-0123456789"
    assert signing.certificate_signature(cert) != cert.signature
    assert signing.certificate_verify(cert.number, cert.signature) is None


def _pdf_text(data: bytes) -> bytes:
    streams = re.findall(rb"stream\n(.*?)\nendstream", data, re.S)
    return b"".join(zlib.decompress(s) for s in streams)


def test_pdf_contains_the_verification_url_and_qr(union):
    cert = _cert(union)
    url = f"https://gh.example/verify/certificate/{cert.number}/{cert.signature}/"
    data = pdf.certificate_pdf(cert, url)
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    m = re.search(rb"/URI \((https://[^)]+)\)", data)
    assert m is not None and m.group(1).decode() == url
    content = _pdf_text(data)
    assert content.count(b" re\n") > 200  # the QR's dark modules
    assert "李四海".encode("utf-16-be").hex().upper().encode() in content
    # the QR drawn is segno's matrix for exactly that URL
    import segno

    qr = segno.make(url, error="m", micro=False)
    dark = sum(sum(1 for d in row if d) for row in qr.matrix)
    assert content.count(b" re\n") == dark
    # xref offsets point at the objects
    xref = int(re.search(rb"startxref\n(\d+)", data).group(1))
    assert data[xref : xref + 4] == b"xref"
