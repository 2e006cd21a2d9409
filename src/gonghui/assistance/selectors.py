"""Reads of hardship assistance. Who sees a file: its assigned case worker (holding the case-worker
role over the file's union) and the supervisors (federation and union admins above it). Anyone
else gets 404, exactly like an absent file. Every opening of a file is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from gonghui.core.audit import audit_record
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import scope_q

from .models import GradientRule, HardshipFile, HelpKind, HelpRecord

REMIND_DAYS_AHEAD = 30
DOCUMENT_FOLDER = "assistance/documents"  # private storage of evidence documents


def file_visible_q(user: Any, field: str = "") -> Q:
    """Files ``user`` may open: supervised subtree, or assigned to them within their scope."""
    prefix = f"{field}__" if field else ""
    supervised = scope_q(user, "assistance.supervise", f"{prefix}org")
    assigned = scope_q(user, "assistance.work", f"{prefix}org") & Q(
        **{f"{prefix}case_worker": getattr(user, "pk", None)}
    )
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return supervised | assigned


def files_visible(user: Any) -> QuerySet[HardshipFile]:
    return HardshipFile.objects.filter(file_visible_q(user)).select_related("member", "org")


def file_open(*, user: Any, pk: Any, via: str, ip: str | None = None) -> HardshipFile:
    """Fetch one file for ``user`` (404 if not theirs to see) and audit the opening."""
    try:
        file = files_visible(user).get(pk=pk)
    except (HardshipFile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    with transaction.atomic():
        audit_record(
            actor=user,
            action="assistance.file.view",
            obj=file,
            org=file.org,
            data={"via": via},
            ip=ip,
        )
    return file


def files_of_member(*, member: Member) -> list[HardshipFile]:
    return list(HardshipFile.objects.filter(member=member).order_by("-created_at"))


def files_due_for_review(*, today: dt.date) -> QuerySet[HardshipFile]:
    """Active files whose yearly review falls due within REMIND_DAYS_AHEAD days (or is late)."""
    return HardshipFile.objects.filter(
        status=HardshipFile.Status.ACTIVE,
        next_review_on__lte=today + dt.timedelta(days=REMIND_DAYS_AHEAD),
    ).select_related("org", "case_worker")


def help_given(*, file: HardshipFile, kind: str, year: int) -> int:
    return (
        HelpRecord.objects.filter(file=file, kind=kind, given_on__year=year).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0
    )


def rule_for(*, file: HardshipFile, kind: str, year: int) -> GradientRule | None:
    """The rule of the nearest org above the file's union (itself included)."""
    org = file.org
    paths = [org.path[:i] for i in range(Org.steplen, len(org.path) + 1, Org.steplen)]
    rules = GradientRule.objects.filter(
        org__path__in=paths, year=year, category=file.category, kind=kind
    ).select_related("org")
    return max(rules, key=lambda r: len(r.org.path), default=None)


def figures(*, org: Org, year: int) -> dict[str, Any]:
    """Yearly figures for an org's subtree: people visited, grants and amounts by kind, files."""
    records = HelpRecord.objects.filter(file__org__path__startswith=org.path, given_on__year=year)
    by_kind = {
        row["kind"]: {"count": row["n"], "amount_fen": row["s"] or 0}
        for row in records.values("kind").annotate(n=Count("pk"), s=Sum("amount_fen"))
    }
    files = HardshipFile.objects.filter(org__path__startswith=org.path)
    active = files.filter(status=HardshipFile.Status.ACTIVE)
    return {
        "year": year,
        "people_visited": records.filter(kind=HelpKind.VISIT)
        .values("file__member")
        .distinct()
        .count(),
        "grants": records.exclude(kind=HelpKind.VISIT).count(),
        "grant_amount_fen": records.exclude(kind=HelpKind.VISIT).aggregate(s=Sum("amount_fen"))["s"]
        or 0,
        "amount_fen": records.aggregate(s=Sum("amount_fen"))["s"] or 0,
        "by_kind": by_kind,
        "active_files": active.count(),
        "new_files": active.filter(activated_on__year=year, is_returned=False).count(),
        "carried_files": active.filter(activated_on__year__lt=year, is_returned=False).count(),
        "returned_files": active.filter(is_returned=True).count(),
    }


def document_open(*, user: Any, file_pk: Any, doc_pk: Any, ip: str | None = None) -> Any:
    """The evidence document and its path, for a user who may open its file (else 404); audited."""
    from gonghui.core import uploads

    from .models import HardshipDocument

    try:
        doc = HardshipDocument.objects.select_related("file__org").get(
            pk=doc_pk, file__in=files_visible(user).filter(pk=file_pk)
        )
    except (HardshipDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    path = uploads.stored_path(doc.stored_name, folder=DOCUMENT_FOLDER)
    if path is None:
        raise Http404
    with transaction.atomic():
        audit_record(
            actor=user,
            action="assistance.document.view",
            obj=doc,
            org=doc.file.org,
            data={"file": doc.file_id},
            ip=ip,
        )
    return doc, path


# --- figures published to the dashboard (members.figures) ------------------------------------


def _help_in(query: Any) -> QuerySet[HelpRecord]:
    from gonghui.members.selectors import figure_days

    first, after = figure_days(query)
    return HelpRecord.objects.filter(
        file__org__path__startswith=query.org.path, given_on__gte=first, given_on__lt=after
    )


def figure_files(query: Any) -> int:
    """Stock at the period's end: active hardship files (households on file) of the subtree,
    activated before the end."""
    from gonghui.members.selectors import figure_days

    _, after = figure_days(query)
    return HardshipFile.objects.filter(
        org__path__startswith=query.org.path,
        status=HardshipFile.Status.ACTIVE,
        activated_on__lt=after,
    ).count()


def figure_visits(query: Any) -> int:
    """Visits made in the period (each visit once)."""
    return _help_in(query).filter(kind=HelpKind.VISIT).count()


def figure_grants(query: Any) -> int:
    """Grants given in the period (living, education, medical aid)."""
    return _help_in(query).exclude(kind=HelpKind.VISIT).count()


def figure_grants_fen(query: Any) -> int:
    """The amount of those grants (fen)."""
    total = _help_in(query).exclude(kind=HelpKind.VISIT).aggregate(s=Sum("amount_fen"))["s"]
    return int(total or 0)


def pending_reviews(user: Any, org: Org) -> int:
    """Active files of ``org``'s subtree that ``user`` may open whose yearly review is due."""
    from gonghui.core.timeutil import local_today

    return (
        files_due_for_review(today=local_today())
        .filter(file_visible_q(user), org__path__startswith=org.path)
        .count()
    )
