"""Reads of the mutual-aid app. Staff reads go through ``orgs.scoping`` (out of scope → 404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import get_in_scope_or_404, is_unrestricted, scope, scope_roots

from .models import AidClaim, AidEnrolment, AidPlan, ClaimDocument, PremiumInvoice


def ancestor_paths(org: Org) -> list[str]:
    """The paths of ``org`` and of every org above it."""
    return _prefixes(org.path)


def plans_for_org(org: Org, *, year: int | None = None) -> QuerySet[AidPlan]:
    """Active plans that serve ``org`` (plans of the org itself or of an org above it)."""
    qs = AidPlan.objects.filter(org__path__in=ancestor_paths(org), is_active=True)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.select_related("org")


def plans_for_user(user: Any, capability: str) -> QuerySet[AidPlan]:
    """Active plans that serve some org where ``user`` holds ``capability``: plans of those orgs,
    of orgs below them, and of the orgs above them (a federation's plan serves its unions)."""
    qs = AidPlan.objects.filter(is_active=True).select_related("org")
    if is_unrestricted(user):
        return qs
    roots = scope_roots(user, capability)
    if not roots:
        return qs.none()
    q = Q(org__path__in=[p for root in roots for p in _prefixes(root)])
    for root in roots:
        q |= Q(org__path__startswith=root)
    return qs.filter(q)


def _prefixes(path: str) -> list[str]:
    step = Org.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


# --- member side --------------------------------------------------------------------------------


def member_enrolments(member: Member) -> QuerySet[AidEnrolment]:
    return (
        AidEnrolment.objects.filter(member=member)
        .select_related("plan", "plan__org")
        .order_by("-plan__year", "-id")
    )


def member_claims(member: Member) -> QuerySet[AidClaim]:
    return (
        AidClaim.objects.filter(member=member)
        .select_related("category", "plan")
        .order_by("-submitted_at", "-id")
    )


def member_claim_or_404(member: Member, pk: Any) -> AidClaim:
    try:
        return member_claims(member).get(pk=int(pk))
    except (AidClaim.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def member_document_or_404(member: Member, pk: Any) -> ClaimDocument:
    try:
        return ClaimDocument.objects.select_related("claim", "claim__org").get(
            pk=int(pk), claim__member=member
        )
    except (ClaimDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- staff side ---------------------------------------------------------------------------------


def claims_visible(*, user: Any) -> QuerySet[AidClaim]:
    return scope(AidClaim.objects.all(), user, "mutualaid.view").select_related(
        "member", "category", "plan", "org"
    )


def claim_get_visible(*, user: Any, pk: Any) -> AidClaim:
    return get_in_scope_or_404(
        AidClaim.objects.select_related("member", "category", "plan", "org", "enrolment"),
        user,
        "mutualaid.view",
        pk=pk,
    )


def document_get_visible(*, user: Any, pk: Any) -> ClaimDocument:
    return get_in_scope_or_404(
        ClaimDocument.objects.select_related("claim", "claim__org"),
        user,
        "mutualaid.view",
        field="claim__org",
        pk=pk,
    )


def figures(*, org: Org, year: int) -> dict[str, int]:
    """The article's figures for ``org``'s subtree and a plan year: insured person-times
    (enrolments), reimbursements (paid claims) and the amount paid (fen)."""
    insured = AidEnrolment.objects.filter(
        org__path__startswith=org.path, plan__year=year, status=AidEnrolment.Status.ACTIVE
    ).count()
    paid = AidClaim.objects.filter(
        org__path__startswith=org.path, plan__year=year, status=AidClaim.Status.PAID
    ).aggregate(n=Count("id"), amount=Sum("payout_fen"))
    return {
        "year": year,
        "insured_person_times": insured,
        "reimbursements": int(paid["n"] or 0),
        "amount_paid_fen": int(paid["amount"] or 0),
    }


def invoice_date_bounds(enrolment: AidEnrolment) -> tuple[dt.date, dt.date]:
    return enrolment.coverage_from, enrolment.coverage_until


# --- figures published to the dashboard (members.figures) ------------------------------------


def figure_insured(query: Any) -> int:
    """Stock at the period's end: active enrolments in the subtree in the plans of the year in
    force then (the year of the period's last local day), enrolled before the end."""
    from gonghui.core.timeutil import to_local

    year = to_local(query.end - dt.timedelta(microseconds=1)).year
    return AidEnrolment.objects.filter(
        org__path__startswith=query.org.path,
        plan__year=year,
        status=AidEnrolment.Status.ACTIVE,
        enrolled_at__lt=query.end,
    ).count()


def figure_premiums_fen(query: Any) -> int:
    """Premiums received: invoices of the subtree paid in the period (fen)."""
    total = PremiumInvoice.objects.filter(
        org__path__startswith=query.org.path, paid_at__gte=query.start, paid_at__lt=query.end
    ).aggregate(s=Sum("total_fen"))["s"]
    return int(total or 0)


def _claims_paid(query: Any) -> QuerySet[AidClaim]:
    return AidClaim.objects.filter(
        org__path__startswith=query.org.path,
        status=AidClaim.Status.PAID,
        paid_at__gte=query.start,
        paid_at__lt=query.end,
    )


def figure_claims_paid(query: Any) -> int:
    return _claims_paid(query).count()


def figure_claims_paid_fen(query: Any) -> int:
    return int(_claims_paid(query).aggregate(s=Sum("payout_fen"))["s"] or 0)


def pending_claims(user: Any, org: Org) -> int:
    """Claims submitted and not yet checked that ``user`` may check, in ``org``'s subtree."""
    return (
        scope(AidClaim.objects.all(), user, "mutualaid.review")
        .filter(status=AidClaim.Status.SUBMITTED, org__path__startswith=org.path)
        .count()
    )
