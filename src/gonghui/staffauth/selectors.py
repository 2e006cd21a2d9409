"""Reads: whose second factor a staff member may reset."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from gonghui.core.models import StaffTotp
from gonghui.orgs.models import Org, RoleAssignment
from gonghui.orgs.scoping import is_unrestricted, scope_roots

CAP_TOTP_RESET = "staffauth.totp_reset"


def totp_of(user: Any) -> StaffTotp | None:
    return StaffTotp.objects.filter(user=user).first()


def totp_is_active(user: Any) -> bool:
    return StaffTotp.objects.filter(user=user, confirmed_at__isnull=False).exists()


def _path_q(roots: list[str], lookup: str) -> Q:
    q = Q(pk__in=[])
    for root in roots:
        q |= Q(**{f"{lookup}__startswith": root})
    return q


def resettable_staff(actor: Any) -> QuerySet:
    """Staff users whose TOTP ``actor`` may reset.

    A superuser may reset anyone but themselves. Anyone else needs the capability, and the
    target's every role assignment must lie inside the actor's subtree (a peer or a superior
    with a role elsewhere is out of scope); superusers are never in anyone else's scope."""
    User = get_user_model()
    users = User.objects.filter(is_staff=True).exclude(pk=actor.pk)
    if is_unrestricted(actor):
        return users
    roots = scope_roots(actor, CAP_TOTP_RESET)
    if not roots:
        return users.none()
    inside = RoleAssignment.objects.filter(_path_q(roots, "org__path")).values("user_id")
    outside = RoleAssignment.objects.exclude(_path_q(roots, "org__path")).values("user_id")
    return users.filter(pk__in=inside, is_superuser=False).exclude(pk__in=outside)


def org_for_audit(actor: Any, target: Any) -> Org | None:
    """The org an audit entry about ``target`` belongs to: the target's highest org."""
    assignment = (
        RoleAssignment.objects.filter(user=target)
        .select_related("org")
        .order_by("org__depth")
        .first()
    )
    return assignment.org if assignment is not None else None
