"""In Debian's Chromium: a member finishes a short course on the H5 (one text lesson, one quiz),
downloads the certificate, and the verification page at the URL encoded in its QR code shows it
valid (with the name masked); an altered link shows it not valid."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest
import segno
from django.contrib.sessions.backends.db import SessionStore

from gonghui.academy.models import Certificate
from gonghui.members.session import SESSION_MEMBER_KEY
from tests.factories import make_member, org_child, org_root

from .factories import make_course, make_quiz

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_member(context, live_server, member):
    session = SessionStore()
    session[SESSION_MEMBER_KEY] = member.pk
    session.create()
    context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )


def qr_dark_modules(pdf: bytes) -> int:
    streams = re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S)
    return b"".join(zlib.decompress(s) for s in streams).count(b" re\n")


def test_member_finishes_course_and_qr_page_shows_valid(live_server, browser):
    union = org_child(org_root())
    member = make_member(union, name="王小明")
    course = make_course(union, title="安全生产", lessons=1)
    lesson = course.lessons.get()
    quiz = make_quiz(course, [[False, True, False]], pass_mark=100)
    question = quiz.questions.get()
    right = question.choices.get(is_correct=True)

    problems: list[str] = []
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    try:
        sign_in_member(context, live_server, member)
        page.goto(f"{live_server.url}/m/")
        page.click("[data-testid=service-academy]")
        page.wait_for_selector("[data-testid=course-list]")
        page.click(f"[data-testid=course-{course.pk}] a.course-title")
        page.wait_for_selector("[data-testid=course-title]:has-text('安全生产')")
        page.click("[data-testid=enrol]")
        page.click(f"[data-testid=lesson-{lesson.pk}]")
        page.wait_for_selector("[data-testid=lesson-title]")
        page.click("[data-testid=mark-done]")
        page.click(f"[data-testid=quiz-{quiz.pk}]")
        page.check(f"[data-testid=choice-{right.pk}]")
        page.click("[data-testid=submit-quiz]")
        page.wait_for_selector("[data-testid=certificate-ready]")
        cert = Certificate.objects.get(member=member, course=course)
        assert cert.number in page.inner_text("[data-testid=certificate-ready]")

        with page.expect_download() as info:
            page.click("[data-testid=certificate-pdf]")
        pdf = Path(info.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        found = re.search(rb"/URI \((http[^)]+)\)", pdf)
        assert found is not None
        url = found.group(1).decode()
        assert qr_dark_modules(pdf) == sum(
            sum(1 for d in row if d) for row in segno.make(url, error="m", micro=False).matrix
        )  # the QR drawn encodes exactly this URL

        public = browser.new_context(locale="zh-CN")  # a stranger: no session
        try:
            vpage = public.new_page()
            vpage.goto(url)
            vpage.wait_for_selector("[data-testid=verify-valid]")
            assert "王**" in vpage.inner_text("[data-testid=verify-name]")
            assert "安全生产" in vpage.inner_text("[data-testid=verify-title]")
            assert "王小明" not in vpage.content()
            vpage.goto(url.replace(cert.signature, cert.signature[::-1]))
            vpage.wait_for_selector("[data-testid=verify-invalid]")
        finally:
            public.close()
        assert problems == []
    finally:
        context.close()
