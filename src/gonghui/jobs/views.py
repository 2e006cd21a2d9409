"""Member H5 pages of the jobs app under /m/jobs/: matched posts with their reasons, a post's
detail and the apply button, my applications (withdraw), and the job fairs."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gonghui.core.errors import Refused
from gonghui.core.timeutil import local_today
from gonghui.members.session import member_required

from . import selectors, services
from .models import Application, JobFair

MATCH_LIMIT = 50
KEYWORD_MAX = 50


@require_GET
@member_required
def job_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    q = request.GET.get("q", "").strip()[:KEYWORD_MAX]
    matches = selectors.postings_for_member(member, limit=MATCH_LIMIT, query=q)
    applied = set(
        Application.objects.filter(member=member, posting__isnull=False).values_list(
            "posting_id", flat=True
        )
    )
    return render(
        request,
        "jobs/h5/list.html",
        {"member": member, "matches": matches, "applied": applied, "q": q},
    )


@require_GET
@member_required
def posting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    posting = selectors.open_postings().filter(pk=pk).first()
    application = Application.objects.filter(member=member, posting_id=pk).first()
    if posting is None:
        if application is None:
            raise Http404
        posting = application.posting
    match = selectors.explain(member, posting)  # type: ignore[arg-type]
    return render(
        request,
        "jobs/h5/detail.html",
        {"member": member, "posting": posting, "match": match, "application": application},
    )


@require_POST
@member_required
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    posting = selectors.open_postings().filter(pk=pk).first()
    if posting is None:
        raise Http404
    try:
        services.application_submit(member=member, posting=posting)
    except Refused as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("jobs:detail", args=[pk]))
    return HttpResponseRedirect(reverse("jobs:applications") + "?applied=1")


@require_GET
@member_required
def my_applications(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    apps = list(selectors.member_applications(member)[:100])
    return render(
        request,
        "jobs/h5/applications.html",
        {
            "member": member,
            "applications": apps,
            "open_statuses": services.OPEN_STATUSES,
            "just_applied": request.GET.get("applied") == "1",
        },
    )


@require_POST
@member_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    application = Application.objects.filter(pk=pk, member=member).first()
    if application is None:
        raise Http404
    try:
        services.application_transition(
            application=application, to_status=Application.Status.WITHDRAWN, member=member
        )
    except Refused as exc:
        messages.error(request, str(exc.message))
    return HttpResponseRedirect(reverse("jobs:applications"))


@require_GET
@member_required
def fairs(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    upcoming = (
        JobFair.objects.filter(date__gte=local_today())
        .select_related("org")
        .prefetch_related("booths__enterprise")
        .order_by("date", "pk")[:30]
    )
    return render(request, "jobs/h5/fairs.html", {"member": member, "fairs": upcoming})
