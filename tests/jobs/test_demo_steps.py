"""The demo steps of jobs and honours: what they load, and a second load adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from gonghui.core.timeutil import local_today
from gonghui.demo.steps import honors as honors_step
from gonghui.demo.steps import jobs as jobs_step
from gonghui.honors import selectors as honors_selectors
from gonghui.honors.models import Honoree
from gonghui.jobs import selectors
from gonghui.jobs.models import Application, Booth, EmployerStaff, JobFair, Posting
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Org


@pytest.mark.django_db
def test_demo_jobs_and_honours():
    call_command("demo", stdout=io.StringIO())
    assert Posting.objects.count() == len(jobs_step.POSTINGS)
    assert Posting.objects.filter(kind="union_pushed").count() == 6
    assert Posting.objects.filter(kind="gig_special").count() == 3
    assert set(JobFair.objects.values_list("kind", flat=True)) == {"union_pushed", "gig_special"}
    assert Booth.objects.filter(terminal__context_type="jobs.booth").count() == 8
    assert EmployerStaff.objects.get().user.username == "employer_staff"
    fed = Org.objects.get(code="YH")
    today = local_today()
    fig = selectors.figures(fed, today, today)
    assert fig["applications"] == Application.objects.count() == 29
    assert (fig["intentions"], fig["hires"]) == (9, 5)
    cov = selectors.skill_pay_coverage(fed, today)
    assert cov["enterprises_with_scheme"] == 7 and cov["above_scale_enterprises"] == 10
    assert Honoree.objects.count() == 20
    summary = honors_selectors.summary(fed)
    assert summary["services"] == 6 and summary["workers_helped"] == 2495
    assert summary["enterprises_helped"] == 13
    assert ServiceEvent.objects.filter(kind="honors.volunteer_service").exists()
    assert jobs_step.load() == 0 and honors_step.load() == 0
