"""Two federation trees with objects in each, and one staff user per role (for console tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from gonghui.core.audit import audit_record
from gonghui.members.models import Member
from gonghui.members.services import service_event_record
from gonghui.orgs.models import Enterprise, Org, Role, RoleAssignment
from tests.factories import EnterpriseFactory, make_member, make_staff, org_child, org_root

PASSWORD = "pass-Word-123"


@dataclass
class Tree:
    federation: Org
    township: Org
    union: Org
    enterprise: Enterprise
    member: Member
    objects: dict[str, Any] = field(default_factory=dict)


def build_tree(label: str) -> Tree:
    fed = org_root(name=f"{label}市总工会")
    town = org_child(fed, Org.Kind.DISTRICT, name=f"{label}镇总工会")
    union = org_child(town, name=f"{label}基层工会")
    ent = EnterpriseFactory(union=union, name=f"{label}企业有限公司")
    member = make_member(union)
    with transaction.atomic():
        event = service_event_record(member=member, kind="test.served", source=ent, amount_fen=1200)
        entry = audit_record(actor=None, action="test.seeded", obj=ent, org=union)
    other_staff = make_staff(union, Role.REVIEWER)
    assignment = RoleAssignment.objects.get(user=other_staff)
    tree = Tree(federation=fed, township=town, union=union, enterprise=ent, member=member)
    tree.objects = {
        "orgs.org": union,
        "orgs.enterprise": ent,
        "orgs.roleassignment": assignment,
        "members.member": member,
        "members.serviceevent": event,
        "core.auditentry": entry,
    }
    return tree


def staff_by_role(org: Org) -> dict[str, Any]:
    """One staff user per role held at ``org``, plus a staff user with no role and a superuser."""
    users: dict[str, Any] = {role.value: make_staff(org, role.value) for role in Role}
    users["no_role"] = make_staff(None, None)
    users["superuser"] = get_user_model().objects.create_superuser(
        f"root{org.pk}", password=PASSWORD
    )
    return users
