"""Member H5 page: my volunteer hours and services, and the upcoming volunteer services of my
teams that run as activities (registration happens on the activity's page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gonghui.members.session import member_required

from . import selectors


@require_GET
@member_required
def mine(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    return render(
        request,
        "honors/mine.html",
        {
            "hours": selectors.member_hours(member),
            "upcoming": selectors.upcoming_for_member(member),
        },
    )
