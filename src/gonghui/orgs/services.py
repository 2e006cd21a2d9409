"""Writes on the union tree, enterprises and role assignments."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record

from .models import Enterprise, Org, RoleAssignment


@transaction.atomic
def org_create(*, parent: Org | None, actor: Any = None, **fields: Any) -> Org:
    """Add an org under ``parent`` (or a new root federation when parent is None)."""
    org = Org(**fields)
    org.full_clean(exclude=["path", "depth", "numchild"])
    if parent is None:
        org = Org.objects.add_root(instance=org)
    else:
        org = Org.objects.add_child(Org.objects.get(pk=parent.pk), instance=org)
    if is_staff_actor(actor):
        audit_record(actor=actor, action="orgs.org.create", obj=org, org=org)
    return org


@transaction.atomic
def enterprise_create(*, actor: Any = None, **fields: Any) -> Enterprise:
    enterprise = Enterprise(**fields)
    enterprise.full_clean()
    enterprise.save()
    if is_staff_actor(actor):
        audit_record(
            actor=actor, action="orgs.enterprise.create", obj=enterprise, org=enterprise.union
        )
    return enterprise


@transaction.atomic
def role_assign(*, user: Any, org: Org, role: str, actor: Any = None) -> RoleAssignment:
    assignment, _created = RoleAssignment.objects.get_or_create(user=user, org=org, role=role)
    if is_staff_actor(actor):
        audit_record(
            actor=actor, action="orgs.role.assign", obj=assignment, org=org, data={"role": role}
        )
    return assignment
