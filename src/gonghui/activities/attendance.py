"""The activities side of ``members.attendance``: activities as attendable things (source
``"activities.activity"``), so that another app (honors: volunteer hours) can create or link an
activity, read its check-ins and hear of new ones without importing this app.

Registered in ``ActivitiesConfig.ready()``; ``services.checkin_record`` calls
``members.attendance.attended`` after each check-in, inside its transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.members.attendance import KIND_VOLUNTEER, Attendable, Attended, Sitting
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can, scope

from . import services
from .models import Activity, Allocation, CheckIn, Kind, Registration
from .services import ACTIVITY_SOURCE as SOURCE

# A registration that holds a place or a claim, or was used: the member is in.
LIVE_REGISTRATION = (*Registration.HOLDING, *Registration.PENDING, Registration.Status.ATTENDED)

# members.attendance kinds ↔ activity kinds
_KINDS = {KIND_VOLUNTEER: Kind.VOLUNTEER}
_KINDS_BACK = {v: k for k, v in _KINDS.items()}


def _attendable(activity: Activity) -> Attendable:
    return Attendable(
        source=SOURCE,
        id=activity.pk,
        title=activity.title,
        org_id=activity.org_id,
        kind=_KINDS_BACK.get(activity.kind, f"activities.{activity.kind}"),  # type: ignore[call-overload]
        is_published=activity.is_published,
        registration_opens=activity.registration_opens,
        registration_closes=activity.registration_closes,
        sittings=tuple(
            Sitting(id=s.pk, starts_at=s.starts_at, ends_at=s.ends_at, place=s.place)
            for s in activity.sessions.all()
        ),
        member_url=reverse("activities:detail", args=[activity.pk]),
    )


class ActivityProvider:
    def get(self, id: int) -> Attendable | None:
        activity = Activity.objects.filter(pk=id).prefetch_related("sessions").first()
        return None if activity is None else _attendable(activity)

    def find(self, *, user: Any, kind: str) -> list[Attendable]:
        own_kind = _KINDS.get(kind)
        if own_kind is None:
            return []
        qs = scope(Activity.objects.filter(kind=own_kind), user, "activities.manage", "org")
        return [_attendable(a) for a in qs.prefetch_related("sessions").order_by("-id")[:200]]

    def manages(self, *, user: Any, id: int) -> bool:
        activity = Activity.objects.select_related("org").filter(pk=id).first()
        return activity is not None and can(user, "activities.manage", activity.org)

    def registration(self, id: int, *, member_id: int) -> str | None:
        live = (
            Registration.objects.filter(
                session__activity_id=id, member_id=member_id, status__in=LIVE_REGISTRATION
            )
            .order_by("session__starts_at", "pk")
            .first()
        )
        return None if live is None else str(live.get_status_display())

    def attendance(self, id: int, *, member_id: int | None = None) -> list[Attended]:
        qs = CheckIn.objects.filter(session__activity_id=id).select_related("session")
        if member_id is not None:
            qs = qs.filter(member_id=member_id)
        return [
            Attended(
                member_id=c.member_id,
                sitting_id=c.session_id,
                starts_at=c.session.starts_at,
                ends_at=c.session.ends_at,
                checked_in_at=c.at,
            )
            for c in qs.order_by("at", "pk")
        ]

    def create(
        self,
        *,
        actor: Any,
        org: Org,
        kind: str,
        title: str,
        description: str,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        place: str,
        capacity: int,
        registration_opens: dt.datetime,
        registration_closes: dt.datetime,
        ip: str | None = None,
    ) -> Attendable:
        """A published first-come activity with one session; the actor needs
        ``activities.manage`` at ``org`` (else NotFound). Audited."""
        own_kind = _KINDS.get(kind)
        if own_kind is None:
            raise Refused(code="invalid", message=_("Unknown kind of activity."), field="kind")
        if actor is not None and not can(actor, "activities.manage", org):
            raise NotFound()
        if registration_closes <= registration_opens:
            raise Refused(
                code="invalid",
                message=_("Registration closes after it opens."),
                field="registration_closes",
            )
        with transaction.atomic():
            activity = Activity.objects.create(
                org=org,
                kind=own_kind,
                title=title.strip()[:120],
                description=description,
                allocation=Allocation.FIRST_COME,
                registration_opens=registration_opens,
                registration_closes=registration_closes,
                is_published=True,
            )
            services.session_create(
                actor=actor,
                activity=activity,
                starts_at=starts_at,
                ends_at=ends_at,
                place=place,
                capacity=capacity,
                ip=ip,
            )
            if actor is not None:
                audit_record(
                    actor=actor,
                    action="activities.activity.create",
                    obj=activity,
                    org=org,
                    data={"kind": own_kind, "via": "attendance"},
                    ip=ip,
                )
        return _attendable(activity)


provider = ActivityProvider()
