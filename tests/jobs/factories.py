"""Factories of the jobs tests (built on tests/factories.py)."""

from __future__ import annotations

import datetime as dt

from gonghui.core.timeutil import local_today
from gonghui.jobs import services
from gonghui.jobs.models import EmployerStaff, Posting, Trade
from tests.factories import EnterpriseFactory, make_staff


def make_enterprise(union, **kw):
    return EnterpriseFactory(union=union, **kw)


def make_posting(enterprise, **kw) -> Posting:
    today = local_today()
    defaults = {
        "actor": None,
        "enterprise": enterprise,
        "title": "普工",
        "trade": Trade.MANUFACTURING,
        "salary_min_fen": 500_000,
        "salary_max_fen": 800_000,
        "valid_from": today - dt.timedelta(days=1),
        "valid_until": today + dt.timedelta(days=30),
        "headcount": 3,
        "skills": [],
    }
    defaults.update(kw)
    return services.posting_create(**defaults)


def make_employer_staff(enterprise, *, username=None, password="pass-Word-123"):
    user = make_staff(None, None, username=username, password=password)
    EmployerStaff.objects.create(user=user, enterprise=enterprise)
    return user
