"""Members joining over the year: applications (入会申请) filed through the year at the
grassroots unions and approved a few days later by ``members.enrolment.enrolment_approve``,
which creates the member (joined that day) and the ``members.enrolment`` event."""

from __future__ import annotations

import datetime as dt
import random

from gonghui.core.errors import Refused
from gonghui.members import pii
from gonghui.members.enrolment import enrolment_approve
from gonghui.members.models import EmploymentType, Enrolment
from gonghui.orgs.models import Enterprise, Org

from .. import data
from .calendar import Year, clock_at

APPLICATIONS = 180
SEED = 7_2026


def load(*, year: Year, actor: object) -> int:
    rng = year.rng
    people = data._people(random.Random(SEED), APPLICATIONS)
    enterprises = list(Enterprise.objects.filter(union__isnull=False).order_by("pk"))
    orgs = {o.pk: o for o in Org.objects.filter(pk__in={e.union_id for e in enterprises})}
    days = year.spread(APPLICATIONS, weight="work")
    made = 0
    for (name, id_number, phone, _birth, _gender), day in zip(people, days, strict=True):
        key = pii.id_number_index(id_number)
        if Enrolment.objects.filter(id_number_index=key).exists():
            continue
        enterprise = rng.choice(enterprises)
        at = year.moment(day, 8, 22)
        with clock_at(at):
            enrolment = Enrolment.objects.create(
                org=orgs[enterprise.union_id],
                name=name,
                enterprise=enterprise,
                employment_type=EmploymentType.EMPLOYEE,
                **pii.seal(id_number=id_number, phone=phone).as_fields(),
            )
        review = at + dt.timedelta(days=rng.randrange(1, 5), hours=rng.randrange(0, 6))
        if not year.past(review):
            continue  # still waiting for review today
        with clock_at(review):
            try:
                enrolment_approve(enrolment=enrolment, actor=actor)
            except Refused:  # already a member under another application
                continue
        made += 1
    return made
