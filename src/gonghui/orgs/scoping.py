"""The one org-scoping helper. Every staff query goes through ``scope()``.

A role held at an org reaches that org's whole subtree (a materialised-path prefix). What a role
may do is a set of capabilities; a request outside the user's scope answers 404, never 403, so
that scope cannot be probed. Later apps add their capabilities with ``grant()`` in their
``AppConfig.ready()``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from .models import Org, Role, RoleAssignment

M = TypeVar("M", bound=Model)

# capability -> roles that hold it
_CAPABILITIES: dict[str, set[str]] = defaultdict(set)


def grant(capability: str, *roles: str) -> None:
    _CAPABILITIES[capability].update(roles)


def roles_with(capability: str) -> set[str]:
    return set(_CAPABILITIES.get(capability, ()))


def known_capabilities() -> list[str]:
    return sorted(_CAPABILITIES)


_ADMINS = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
grant("orgs.view", *_ADMINS, Role.REVIEWER, Role.AUDITOR)
grant("orgs.manage", Role.FEDERATION_ADMIN)
grant("orgs.staff", Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
grant("enterprises.view", *_ADMINS, Role.REVIEWER, Role.AUDITOR)
grant("enterprises.manage", *_ADMINS)
grant("members.view", *_ADMINS, Role.REVIEWER, Role.AUDITOR, Role.CASE_WORKER)
grant("members.manage", *_ADMINS)
grant("members.review", *_ADMINS, Role.REVIEWER)
grant("members.reveal", *_ADMINS)
grant("members.import", *_ADMINS)
grant("members.export", *_ADMINS, Role.AUDITOR)
grant("audit.view", *_ADMINS, Role.AUDITOR)


def _assignments(user: Any) -> list[tuple[str, str]]:
    """(role, org path) pairs of the user, cached on the user object for the request."""
    cached = getattr(user, "_gonghui_assignments", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(user=user, org__is_active=True).values_list(
                "role", "org__path"
            )
        )
        user._gonghui_assignments = cached
    return cached


def scope_roots(user: Any, capability: str) -> list[str]:
    """Materialised paths of the orgs at which ``user`` holds ``capability`` (minimal set)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    allowed = _CAPABILITIES.get(capability, set())
    paths = sorted({path for role, path in _assignments(user) if role in allowed})
    roots: list[str] = []
    for p in paths:  # drop paths already covered by a shorter prefix
        if not any(p.startswith(r) for r in roots):
            roots.append(p)
    return roots


def is_unrestricted(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) and user.is_active)


def scope_q(user: Any, capability: str, field: str = "org") -> Q:
    """A Q that keeps rows whose ``field`` (an FK path to Org, or "" for Org itself) is in scope."""
    if is_unrestricted(user):
        return Q()
    roots = scope_roots(user, capability)
    if not roots:
        return Q(pk__in=[])
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    q = Q()
    for root in roots:
        q |= Q(**{lookup: root})
    return q


def scope_id_q(user: Any, capability: str, field: str = "org_id") -> Q:
    """A Q that keeps rows whose ``field`` holds the plain id of an org in scope (no FK path).

    For tables below orgs that keep an org id without a foreign key (core's audit log): the ids
    come from a subquery on the orgs in scope, so the filter stays one query. NULL is left out."""
    if is_unrestricted(user):
        return Q()
    if not scope_roots(user, capability):
        return Q(pk__in=[])
    return Q(**{f"{field}__in": visible_orgs(user, capability).values("pk")})


def scope(qs: QuerySet[M], user: Any, capability: str, field: str = "org") -> QuerySet[M]:
    return qs.filter(scope_q(user, capability, field))


def get_in_scope_or_404(
    qs: QuerySet[M], user: Any, capability: str, field: str = "org", **lookup: Any
) -> M:
    try:
        return scope(qs, user, capability, field).get(**lookup)
    except (ObjectDoesNotExist, ValueError, ValidationError):
        # Absent, out of scope, or a malformed key (e.g. "12x" for an integer pk): all 404.
        raise Http404 from None


def can(user: Any, capability: str, org: Org | None = None) -> bool:
    """Does ``user`` hold ``capability`` at ``org`` (or anywhere, when org is None)?"""
    if is_unrestricted(user):
        return True
    roots = scope_roots(user, capability)
    if org is None:
        return bool(roots)
    return any(org.path.startswith(r) for r in roots)


def visible_orgs(user: Any, capability: str = "orgs.view") -> QuerySet[Org]:
    return scope(Org.objects.all(), user, capability, field="")
