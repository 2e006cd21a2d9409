"""The demo steps of assistance and rights: they create their rows once, and a second run adds
nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from gonghui.assistance.models import HardshipFile, HelpRecord
from gonghui.demo.steps import assistance as assistance_step
from gonghui.demo.steps import rights as rights_step
from gonghui.members.models import ServiceEvent
from gonghui.rights.models import CaseParty, CollectiveContract, RightsCase

pytestmark = pytest.mark.django_db


def test_demo_steps_are_idempotent():
    call_command("demo", stdout=io.StringIO())
    assert HardshipFile.objects.filter(status="active").count() == 3
    assert HelpRecord.objects.count() == 5
    assert ServiceEvent.objects.filter(kind__startswith="assistance.").count() == 5
    assert RightsCase.objects.count() == 3 and CaseParty.objects.count() == 2
    assert CollectiveContract.objects.count() >= 3
    # the closed collective case: its applicant's case, and its two parties (docs/figures.md)
    assert ServiceEvent.objects.filter(kind="rights.case_closed").count() == 1
    assert ServiceEvent.objects.filter(kind="rights.collective_closed").count() == 2
    assert assistance_step.load() == 0
    assert rights_step.load() == 0
