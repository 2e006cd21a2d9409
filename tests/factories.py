"""Factories for the foundation's models. Members are created through ``member_create`` so that
their personal data is sealed exactly as in production."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from django.contrib.auth import get_user_model

from gonghui.core.identifiers import make_id_number, make_uscc
from gonghui.members.models import EmploymentType, Member
from gonghui.members.services import member_create
from gonghui.orgs.models import Enterprise, Org, RoleAssignment
from gonghui.orgs.services import org_create

_counter = itertools.count(1)


def next_n() -> int:
    return next(_counter)


def org_root(**kw) -> Org:
    n = next_n()
    defaults = {
        "name": f"市总工会{n}",
        "code": f"F{n:04d}",
        "kind": Org.Kind.FEDERATION,
        "region_code": "331021",
    }
    defaults.update(kw)
    return org_create(parent=None, **defaults)


def org_child(parent: Org, kind: str = Org.Kind.GRASSROOTS, **kw) -> Org:
    n = next_n()
    defaults = {
        "name": f"工会{n}",
        "code": f"{parent.code}-{n}",
        "kind": kind,
        "region_code": parent.region_code,
    }
    defaults.update(kw)
    return org_create(parent=parent, **defaults)


def uscc_for(n: int) -> str:
    return make_uscc(f"91331021{n:09d}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"玉环测试企业{n}有限公司")
    uscc = factory.Sequence(lambda n: uscc_for(n + 100000))
    region_code = "331021"
    union = None  # required: pass union=<grassroots Org>


def id_number_for(n: int, birth: dt.date | None = None) -> str:
    birth = birth or dt.date(1985, 1, 1) + dt.timedelta(days=n % 9000)
    return make_id_number(region="331021", birth=birth, seq=n % 1000)


def phone_for(n: int) -> str:
    return f"139{n:08d}"


def make_member(org: Org, *, n: int | None = None, **kw) -> Member:
    n = n if n is not None else next_n()
    id_number = kw.pop("id_number", None) or id_number_for(n, kw.pop("birth", None))
    from gonghui.core.identifiers import parse_id_number

    parsed = parse_id_number(id_number)
    return member_create(
        name=kw.pop("name", f"会员{n}"),
        id_number=parsed.number,
        phone=kw.pop("phone", phone_for(n)),
        birth_date=parsed.birth_date,
        gender=parsed.gender,
        org=org,
        employment_type=kw.pop("employment_type", EmploymentType.EMPLOYEE),
        **kw,
    )


def make_staff(
    org: Org | None,
    role: str | None,
    *,
    username: str | None = None,
    password: str = "pass-Word-123",
):
    User = get_user_model()
    user = User.objects.create_user(
        username=username or f"staff{next_n()}", password=password, is_staff=True
    )
    if org is not None and role is not None:
        RoleAssignment.objects.create(user=user, org=org, role=role)
    return user
