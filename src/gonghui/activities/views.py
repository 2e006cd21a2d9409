"""Member H5 pages of activities, mounted at /m/activities/."""

from __future__ import annotations

import datetime as dt
import mimetypes

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core import timeutil
from gonghui.core.errors import Refused
from gonghui.members.session import current_member, member_required

from . import rules, selectors, services
from .models import Activity, Allocation, Draw, Kind, Registration, Session

KEYWORD_MAX = 50


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@member_required
def activity_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    kind = request.GET.get("kind", "")
    if kind not in Kind.values:
        kind = ""
    day = None
    if request.GET.get("date"):
        try:
            day = dt.date.fromisoformat(request.GET["date"])
        except ValueError:
            day = None
    near = request.GET.get("near") == "1"
    q = request.GET.get("q", "").strip()[:KEYWORD_MAX]
    activities = selectors.activities_for_member(member, kind=kind, day=day, near=near, query=q)[
        :100
    ]
    context = {
        "q": q,
        "activities": activities,
        "kinds": Kind.choices,
        "kind": kind,
        "day": day,
        "near": near,
    }
    return _private(render(request, "activities/list.html", context))


def _detail_context(request: HttpRequest, activity: Activity) -> dict:
    member = request.member  # type: ignore[attr-defined]
    now = timeutil.now()
    sessions = []
    for session in activity.sessions.filter(ends_at__gt=now).order_by("starts_at"):
        reg = selectors.member_registration_for(member, session)
        refusal = None
        if reg is None:
            refusal = rules.window_refusal(activity, now) or rules.eligibility_refusal(
                activity, session, member, child_name="-", child_birth_date=None
            )
            if refusal is not None and refusal.code == "child_required":
                refusal = None
        draw = Draw.objects.filter(session=session).first()
        sessions.append({"session": session, "reg": reg, "refusal": refusal, "draw": draw})
    return {
        "activity": activity,
        "sessions": sessions,
        "is_lottery": activity.allocation == Allocation.LOTTERY,
        "is_review": activity.allocation == Allocation.REVIEW,
    }


@require_GET
@member_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(Activity.objects.select_related("org"), pk=pk, is_published=True)
    return _private(render(request, "activities/detail.html", _detail_context(request, activity)))


@require_POST
@member_required
def register(request: HttpRequest, session_pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    session = get_object_or_404(
        Session.objects.select_related("activity", "activity__org"),
        pk=session_pk,
        activity__is_published=True,
    )
    child_birth = None
    raw_birth = request.POST.get("child_birth_date", "").strip()
    try:
        if raw_birth:
            child_birth = dt.date.fromisoformat(raw_birth)
        reg = services.registration_create(
            member=member,
            session=session,
            child_name=request.POST.get("child_name", "")[:60],
            child_birth_date=child_birth,
        )
    except ValueError:
        error = Refused(code="invalid", message=_("Enter a valid date."), field="child_birth_date")
    except Refused as exc:
        error = exc
    else:
        messages.success(
            request,
            {  # type: ignore[call-overload]
                Registration.Status.CONFIRMED: _("You are registered."),
                Registration.Status.WAITLISTED: _(
                    "The session is full: you are number %(n)s on the waitlist."
                )
                % {"n": reg.position},
                Registration.Status.APPLIED: _("Your application has been received."),
            }.get(reg.status, _("Done.")),
        )
        return redirect("activities:mine")
    context = _detail_context(request, session.activity)
    context.update({"error": error, "error_session": session.pk})
    return _private(render(request, "activities/detail.html", context, status=error.status))


@require_POST
@member_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    reg = get_object_or_404(Registration, pk=pk, member=member)
    try:
        services.registration_cancel(registration=reg, member=member)
    except Refused as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your registration is cancelled."))
    return redirect("activities:mine")


@require_GET
@member_required
def mine(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    now = timeutil.now()
    rows = []
    for reg in selectors.member_registrations(member)[:100]:
        cancellable = reg.status in (
            *Registration.HOLDING,
            *Registration.PENDING,
        ) and now <= rules.cancel_deadline(reg.session)
        rows.append(
            {"reg": reg, "cancellable": cancellable, "checkin": getattr(reg, "checkin", None)}
        )
    return _private(render(request, "activities/mine.html", {"rows": rows}))


@require_GET
def poster(request: HttpRequest, pk: int) -> FileResponse:
    """A published activity's poster (stored privately); members only."""
    if current_member(request) is None and not getattr(request.user, "is_staff", False):
        raise Http404
    activity = get_object_or_404(Activity, pk=pk, is_published=True)
    if not activity.poster:
        raise Http404
    content_type = mimetypes.guess_type(activity.poster.name or "")[0] or "application/octet-stream"
    response = FileResponse(activity.poster.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
