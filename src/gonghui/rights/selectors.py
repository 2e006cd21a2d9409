"""Reads of rights cases and contracts. A case is seen by the lawyer and case worker assigned to
it (holding their role over the case's union) and by the supervisors (federation and union
admins above it); anyone else gets 404. Every opening of a case is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from gonghui.core.audit import audit_record
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.scoping import scope_q

from .models import CaseEntry, CollectiveContract, RightsCase


def case_visible_q(user: Any, field: str = "") -> Q:
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    prefix = f"{field}__" if field else ""
    pk = getattr(user, "pk", None)
    supervised = scope_q(user, "rights.supervise", f"{prefix}org")
    assigned = scope_q(user, "rights.work", f"{prefix}org") & (
        Q(**{f"{prefix}lawyer": pk}) | Q(**{f"{prefix}case_worker": pk})
    )
    return supervised | assigned


def cases_visible(user: Any) -> QuerySet[RightsCase]:
    return RightsCase.objects.filter(case_visible_q(user)).select_related(
        "org", "member", "case_type", "step", "enterprise"
    )


def case_open(*, user: Any, pk: Any, via: str, ip: str | None = None) -> RightsCase:
    """Fetch one case for ``user`` (404 if not theirs to see) and audit the opening."""
    try:
        case = cases_visible(user).get(pk=pk)
    except (RightsCase.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    with transaction.atomic():
        audit_record(
            actor=user, action="rights.case.view", obj=case, org=case.org, data={"via": via}, ip=ip
        )
    return case


def cases_overdue(*, user: Any, today: dt.date) -> QuerySet[RightsCase]:
    """Open cases whose current step is past its due date, the oldest first."""
    return (
        cases_visible(user)
        .filter(status=RightsCase.Status.OPEN, due_on__lt=today)
        .order_by("due_on", "pk")
    )


def cases_of_member(*, member: Member) -> list[RightsCase]:
    return list(
        RightsCase.objects.filter(Q(member=member) | Q(parties__member=member))
        .select_related("case_type", "step")
        .distinct()
        .order_by("-created_at")
    )


def public_timeline(case: RightsCase) -> list[CaseEntry]:
    return list(case.entries.filter(is_public=True).order_by("at", "pk"))


def _covers(contract: CollectiveContract, enterprise_id: int, path: str, region: str) -> bool:
    if contract.kind == CollectiveContract.Kind.ENTERPRISE:
        return contract.enterprise_id == enterprise_id
    if not path.startswith(contract.org.path):
        return False
    if contract.kind == CollectiveContract.Kind.REGIONAL:
        return region == contract.region_code
    return True  # industry: every enterprise under the signing union


def coverage(*, org: Org, on: dt.date) -> dict[str, Any]:
    """Coverage of above-scale enterprises under ``org``: those with a contract valid on ``on``
    (their own, their industry union's, or their region's) over all above-scale enterprises."""
    enterprises = list(
        Enterprise.objects.filter(
            union__path__startswith=org.path, is_above_scale=True
        ).values_list("pk", "union__path", "region_code")
    )
    deployment = org.deployment_path
    contracts = list(
        CollectiveContract.objects.filter(
            org__path__startswith=deployment, valid_from__lte=on, valid_until__gte=on
        ).select_related("org")
    )
    covered = sum(
        1
        for pk, path, region in enterprises
        if any(_covers(c, pk, path, region) for c in contracts)
    )
    total = len(enterprises)
    return {
        "on": on,
        "above_scale": total,
        "covered": covered,
        # basis points, rounded half up; None when there is no above-scale enterprise
        "rate_bp": (covered * 20000 + total) // (2 * total) if total else None,
        "contracts_valid": sum(1 for c in contracts if c.org.path.startswith(org.path)),
        "workers_covered": sum(
            c.workers_covered for c in contracts if c.org.path.startswith(org.path)
        ),
    }


# --- figures published to the dashboard (members.figures) ------------------------------------


def figure_cases_opened(query: Any) -> int:
    """Cases of the subtree opened in the period, anonymous intakes included (they have no
    member and no service event: this is where they count)."""
    return RightsCase.objects.filter(
        org__path__startswith=query.org.path,
        created_at__gte=query.start,
        created_at__lt=query.end,
    ).count()


def _closed_in(query: Any) -> QuerySet[RightsCase]:
    return RightsCase.objects.filter(
        org__path__startswith=query.org.path,
        status=RightsCase.Status.CLOSED,
        closed_at__gte=query.start,
        closed_at__lt=query.end,
    )


def figure_cases_closed(query: Any) -> int:
    return _closed_in(query).count()


def figure_recovered_fen(query: Any) -> int:
    """Money recovered for workers on the cases closed in the period (a collective case's
    amount is the sum of its parties')."""
    return int(_closed_in(query).aggregate(s=Sum("amount_recovered_fen"))["s"] or 0)


def figure_contract_coverage(query: Any) -> int:
    """Collective-contract coverage of the subtree's above-scale enterprises on the period's
    last local day, in ‰ (half up; 0 without any above-scale enterprise). Not additive."""
    from gonghui.core.timeutil import to_local

    last_day = to_local(query.end - dt.timedelta(microseconds=1)).date()
    found = coverage(org=query.org, on=last_day)
    total, covered = found["above_scale"], found["covered"]
    return (covered * 2000 + total) // (2 * total) if total else 0


def pending_overdue(user: Any, org: Org) -> int:
    """Open cases of ``org``'s subtree that ``user`` may see, past their step's due date."""
    from gonghui.core.timeutil import local_today

    return (
        cases_overdue(user=user, today=local_today()).filter(org__path__startswith=org.path).count()
    )
