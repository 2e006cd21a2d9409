"""Scan handlers of the jobs app (registered in ``JobsConfig.ready``).

- ``jobs.fair`` (a fair's gate terminal, ``context_id`` = the fair's pk): the member checks in.
- ``jobs.booth`` (a booth's terminal, ``context_id`` = the booth's pk): the employer receives the
  member's résumé, an application with source "booth"; ``payload`` may name ``posting``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gonghui.codes.models import Terminal
from gonghui.core.errors import Refused
from gonghui.members.models import Member

from . import services
from .models import Booth, JobFair, Posting


def _context_pk(terminal: Terminal) -> int:
    try:
        return int(terminal.context_id)
    except (TypeError, ValueError):
        raise Refused(
            code="terminal_context",
            message=_("This terminal is not set up for a job fair."),
            status=409,
        ) from None


def fair_gate(*, terminal: Terminal, member: Member, payload: dict[str, Any]) -> dict[str, Any]:
    fair = JobFair.objects.filter(pk=_context_pk(terminal)).first()
    if fair is None:
        raise Refused(
            code="terminal_context",
            message=_("This terminal is not set up for a job fair."),
            status=409,
        )
    checkin, created = services.fair_checkin(fair=fair, member=member, terminal=terminal)
    return {
        "kind": "jobs.fair_checkin",
        "fair": fair.pk,
        "fair_title": fair.title,
        "checkin": checkin.pk,
        "already": not created,
        "message": str(_("Welcome to the job fair")) if created else str(_("Already checked in")),
    }


def booth_scan(*, terminal: Terminal, member: Member, payload: dict[str, Any]) -> dict[str, Any]:
    booth = (
        Booth.objects.select_related("fair", "enterprise").filter(pk=_context_pk(terminal)).first()
    )
    if booth is None:
        raise Refused(
            code="terminal_context",
            message=_("This terminal is not set up for a booth."),
            status=409,
        )
    posting = None
    raw = payload.get("posting")
    if raw not in (None, ""):
        try:
            posting = Posting.objects.filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            posting = None
        if posting is None:
            raise Refused(
                code="posting_not_at_booth",
                message=_("That posting is not offered at this booth."),
                field="posting",
                status=409,
            )
    application, created = services.booth_resume(booth=booth, member=member, posting=posting)
    return {
        "kind": "jobs.application",
        "application": application.pk,
        "enterprise": booth.enterprise.name,
        "already": not created,
        "message": str(_("Résumé received")) if created else str(_("Résumé already received")),
    }
