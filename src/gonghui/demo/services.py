"""``demo_load()``: put the demo data in the database; a second run changes nothing.

Everything is keyed: orgs by code, enterprises by USCC, staff by username, members and pending
enrolments by the blind index of their ID number. Only what is missing is created, so a rerun
takes no member numbers and writes no row. Members go in with ``bulk_create`` in batches, their
personal data sealed exactly as ``members.services.member_create`` does (``members.pii.seal``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from gonghui.members import pii
from gonghui.members.models import Enrolment, Member, MemberHistory
from gonghui.members.services import member_numbers
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.services import org_create, role_assign

from . import data, steps

BATCH = 500


@dataclass(frozen=True)
class DemoResult:
    orgs_created: int
    enterprises_created: int
    staff_created: int
    members_created: int
    enrolments_created: int
    steps_created: dict[str, int]


def _orgs() -> tuple[dict[str, Org], int]:
    created = 0
    for spec in data.ORGS:
        if Org.objects.filter(code=spec.code).exists():
            continue
        parent = Org.objects.get(code=spec.parent) if spec.parent else None
        org_create(
            parent=parent,
            name=spec.name,
            code=spec.code,
            kind=spec.kind,
            trade=spec.trade,
            region_code=data.REGION,
            uscc=spec.uscc,
            contact_name=spec.contact_name,
            contact_phone=spec.contact_phone,
            address=spec.address,
        )
        created += 1
    orgs = {o.code: o for o in Org.objects.filter(code__in=[s.code for s in data.ORGS])}
    return orgs, created


def _enterprises(orgs: dict[str, Org]) -> tuple[dict[str, Enterprise], int]:
    existing = set(
        Enterprise.objects.filter(uscc__in=[e.uscc for e in data.ENTERPRISES]).values_list(
            "uscc", flat=True
        )
    )
    new = []
    for spec in data.ENTERPRISES:
        if spec.uscc in existing:
            continue
        enterprise = Enterprise(
            name=spec.name,
            uscc=spec.uscc,
            industry=spec.industry,
            size=spec.size,
            is_above_scale=spec.is_above_scale,
            union=orgs[spec.union],
            region_code=data.REGION,
        )
        enterprise.full_clean()
        new.append(enterprise)
    Enterprise.objects.bulk_create(new)
    found = Enterprise.objects.filter(uscc__in=[e.uscc for e in data.ENTERPRISES])
    return {e.uscc: e for e in found}, len(new)


def _staff(orgs: dict[str, Org]) -> int:
    User = get_user_model()
    created = 0
    encoded = ""  # one Argon2 hash for the one published password (hashing is slow on purpose)
    for spec in data.STAFF:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            encoded = encoded or make_password(data.PASSWORD)
            user = User.objects.create(
                username=spec.username,
                password=encoded,
                first_name=spec.first_name,
                is_staff=True,
                is_superuser=spec.role is None,
            )
            created += 1
        if spec.role is not None and spec.org is not None:
            role_assign(user=user, org=orgs[spec.org], role=spec.role)
    return created


def _members(orgs: dict[str, Org], enterprises: dict[str, Enterprise]) -> int:
    specs, _enrolments = data.members_and_enrolments()
    indexed = [(pii.id_number_index(s.id_number), s) for s in specs]
    existing: set[str] = set()
    keys = [key for key, _spec in indexed]
    for i in range(0, len(keys), BATCH):
        existing.update(
            Member.objects.filter(id_number_index__in=keys[i : i + BATCH]).values_list(
                "id_number_index", flat=True
            )
        )
    missing = [s for key, s in indexed if key not in existing]
    created = 0
    for i in range(0, len(missing), BATCH):
        batch = missing[i : i + BATCH]
        with transaction.atomic():
            numbers = member_numbers(len(batch))
            rows = [
                Member(  # type: ignore[misc]  # birth_date is a property (sealed); Django accepts it
                    member_no=number,
                    name=s.name,
                    gender=s.gender,
                    birth_date=s.birth_date,
                    org=orgs[s.org],
                    enterprise=enterprises[s.enterprise] if s.enterprise else None,
                    employment_type=s.employment_type,
                    gig_trade=s.gig_trade,
                    is_frontline=s.is_frontline,
                    joined_on=s.joined_on,
                    skills=s.skills,
                    **pii.seal(id_number=s.id_number, phone=s.phone).as_fields(),
                )
                for number, s in zip(numbers, batch, strict=True)
            ]
            Member.objects.bulk_create(rows)
            saved = Member.objects.filter(member_no__in=numbers).values_list(
                "pk", "org_id", "status"
            )
            MemberHistory.objects.bulk_create(
                MemberHistory(
                    member_id=pk, kind=MemberHistory.Kind.JOINED, to_status=status, to_org_id=org_id
                )
                for pk, org_id, status in saved
            )
        created += len(batch)
    return created


def _enrolments(orgs: dict[str, Org], enterprises: dict[str, Enterprise]) -> int:
    _members_specs, specs = data.members_and_enrolments()
    created = 0
    for s in specs:
        key = pii.id_number_index(s.id_number)
        if Enrolment.objects.filter(id_number_index=key).exists():
            continue
        enterprise = enterprises[s.enterprise] if s.enterprise else None
        Enrolment.objects.create(
            org=orgs[s.org],
            name=s.name,
            enterprise=enterprise,
            employer_name=""
            if enterprise
            else ("平台众包骑手" if s.gig_trade == "rider" else "个体快递员"),
            employment_type=s.employment_type,
            gig_trade=s.gig_trade,
            **pii.seal(id_number=s.id_number, phone=s.phone).as_fields(),
        )
        created += 1
    return created


def demo_load() -> DemoResult:
    with transaction.atomic():
        orgs, orgs_created = _orgs()
        enterprises, enterprises_created = _enterprises(orgs)
        staff_created = _staff(orgs)
    members_created = _members(orgs, enterprises)
    with transaction.atomic():
        enrolments_created = _enrolments(orgs, enterprises)
    steps_created = {}
    for name, load in steps.discover():
        with transaction.atomic():
            steps_created[name] = load()
    return DemoResult(
        orgs_created=orgs_created,
        enterprises_created=enterprises_created,
        staff_created=staff_created,
        members_created=members_created,
        enrolments_created=enrolments_created,
        steps_created=steps_created,
    )
