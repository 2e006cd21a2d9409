"""Member H5 page: my volunteer hours and services, and the upcoming volunteer services of my
teams that run as activities (registration happens on the activity's page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gonghui.members.session import member_required

from . import selectors
from .models import HonourTitle


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


@require_GET
@member_required
def showcase(request: HttpRequest) -> HttpResponse:
    """劳模工匠: the model workers and craftsmen of the member's federation."""
    member = request.member  # type: ignore[attr-defined]
    title = request.GET.get("title", "")
    return render(
        request,
        "honors/showcase.html",
        {
            "honorees": selectors.showcase(member, title=title),
            "titles": HonourTitle.choices,
            "title": title if title in HonourTitle.values else "",
        },
    )
