"""Member H5 pages of the academy (course list, course with lessons, lesson, quiz, my
certificates with their PDFs) and the public certificate verification page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.core.errors import Refused
from gonghui.members.session import member_required

from . import pdf, selectors, services, signing
from .models import Certificate, Course


def _course(pk: int) -> Course:
    return get_object_or_404(selectors.published_courses(), pk=pk)


@require_GET
@member_required
def course_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    courses = list(selectors.published_courses()[:100])
    mine = {e.course_id: e for e in member.enrolments.filter(course__in=[c.pk for c in courses])}
    rows = [(c, mine.get(c.pk)) for c in courses]
    return render(request, "academy/h5/list.html", {"rows": rows})


@require_GET
@member_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    course = _course(pk)
    enrolment = selectors.member_enrolment(member, course)
    done: set[int] = set()
    passed: set[int] = set()
    if enrolment is not None:
        done = set(enrolment.progress.values_list("lesson_id", flat=True))
        passed = set(enrolment.attempts.filter(passed=True).values_list("quiz_id", flat=True))
    certificate = Certificate.objects.filter(member=member, course=course).first()
    return render(
        request,
        "academy/h5/course.html",
        {
            "course": course,
            "enrolment": enrolment,
            "lessons": list(course.lessons.all()),
            "quizzes": list(course.quizzes.all()),
            "done": done,
            "passed": passed,
            "certificate": certificate,
        },
    )


@require_POST
@member_required
def enrol(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course(pk)
    try:
        services.course_enrol(member=request.member, course=course)  # type: ignore[attr-defined]
    except Refused as exc:
        messages.error(request, str(exc.message))
    return HttpResponseRedirect(reverse("academy:course", args=[pk]))


@require_GET
@member_required
def lesson_detail(request: HttpRequest, pk: int, lesson_pk: int) -> HttpResponse:
    course = _course(pk)
    lesson = get_object_or_404(course.lessons, pk=lesson_pk)
    enrolment = selectors.member_enrolment(request.member, course)  # type: ignore[attr-defined]
    done = enrolment is not None and enrolment.progress.filter(lesson=lesson).exists()
    return render(
        request,
        "academy/h5/lesson.html",
        {"course": course, "lesson": lesson, "enrolment": enrolment, "done": done},
    )


@require_POST
@member_required
def lesson_done(request: HttpRequest, pk: int, lesson_pk: int) -> HttpResponse:
    course = _course(pk)
    lesson = get_object_or_404(course.lessons, pk=lesson_pk)
    enrolment = selectors.member_enrolment(request.member, course)  # type: ignore[attr-defined]
    if enrolment is None:
        raise Http404
    services.lesson_complete(enrolment=enrolment, lesson=lesson)
    return HttpResponseRedirect(reverse("academy:course", args=[pk]))


@require_http_methods(["GET", "POST"])
@member_required
def quiz(request: HttpRequest, pk: int, quiz_pk: int) -> HttpResponse:
    course = _course(pk)
    the_quiz = get_object_or_404(course.quizzes, pk=quiz_pk)
    enrolment = selectors.member_enrolment(request.member, course)  # type: ignore[attr-defined]
    if enrolment is None:
        return HttpResponseRedirect(reverse("academy:course", args=[pk]))
    attempt = None
    if request.method == "POST":
        answers = {str(q.pk): request.POST.getlist(f"q{q.pk}") for q in the_quiz.questions.all()}
        try:
            attempt = services.quiz_submit(enrolment=enrolment, quiz=the_quiz, answers=answers)
        except Refused as exc:
            messages.error(request, str(exc.message))
        else:
            if attempt.passed:
                messages.success(
                    request, _("Passed with %(score)s%%.") % {"score": attempt.score_percent}
                )
                return HttpResponseRedirect(reverse("academy:course", args=[pk]))
    questions = list(the_quiz.questions.prefetch_related("choices"))
    return render(
        request,
        "academy/h5/quiz.html",
        {"course": course, "quiz": the_quiz, "questions": questions, "attempt": attempt},
    )


@require_GET
@member_required
def my_certificates(request: HttpRequest) -> HttpResponse:
    certs = list(selectors.member_certificates(request.member)[:100])  # type: ignore[attr-defined]
    return render(request, "academy/h5/certificates.html", {"certificates": certs})


@require_GET
@member_required
def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    cert = selectors.member_certificates(request.member).filter(number=number).first()  # type: ignore[attr-defined]
    if cert is None:  # absent or another member's: the same 404
        raise Http404
    url = request.build_absolute_uri(selectors.verify_path(cert))
    response = HttpResponse(pdf.certificate_pdf(cert, url), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cert.number}.pdf"'
    return response


@require_GET
def verify(request: HttpRequest, number: str, signature: str) -> HttpResponse:
    cert = signing.certificate_verify(number, signature)
    context = {
        "valid": cert is not None,
        "cert": cert,
        "masked_name": signing.mask_name(cert.holder_name) if cert else "",
    }
    response = render(request, "academy/verify.html", context, status=200 if cert else 404)
    response["X-Robots-Tag"] = "noindex"
    return response
