"""Two federation trees with objects in each, and one staff user per role (for console tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from gonghui.core.audit import audit_record
from gonghui.members import pii
from gonghui.members.models import Enrolment, ImportJob, Member, TransferRequest
from gonghui.members.services import service_event_record
from gonghui.orgs.models import Enterprise, Org, Role, RoleAssignment
from tests.factories import (
    EnterpriseFactory,
    id_number_for,
    make_member,
    make_staff,
    next_n,
    org_child,
    org_root,
    phone_for,
)

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
        event = service_event_record(
            member=member, kind="assistance.visit", source=ent, amount_fen=1200
        )
        entry = audit_record(actor=None, action="test.seeded", obj=ent, org=union)
    other_staff = make_staff(union, Role.REVIEWER)
    # Objects of the members app's other models, so that their console pages (written by
    # others) are tried out of scope with a real object, not only with an absent one.
    second_union = org_child(town, name=f"{label}第二基层工会")
    n = next_n()
    enrolment = Enrolment.objects.create(
        org=union,
        name=f"{label}申请人",
        **pii.seal(id_number=id_number_for(n), phone=phone_for(n)).as_fields(),
    )
    transfer = TransferRequest.objects.create(member=member, from_org=union, to_org=second_union)
    job = ImportJob.objects.create(org=union, file_name="roster.xlsx", file_sha256="0" * 64)
    assignment = RoleAssignment.objects.get(user=other_staff)
    tree = Tree(federation=fed, township=town, union=union, enterprise=ent, member=member)
    tree.objects = {
        "orgs.org": union,
        "orgs.enterprise": ent,
        "orgs.roleassignment": assignment,
        "members.member": member,
        "members.serviceevent": event,
        "core.auditentry": entry,
        "members.enrolment": enrolment,
        "members.transferrequest": transfer,
        "members.importjob": job,
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
