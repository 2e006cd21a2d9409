from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "gonghui.jobs"
    label = "jobs"
    verbose_name = _("Employment help")

    def ready(self) -> None:
        from gonghui.codes import dispatch
        from gonghui.members import h5menu
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        from . import scan

        admins = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
        # Postings, fairs, applications, skill-pay schemes of the subtree: see them.
        grant("jobs.view", *admins, Role.AUDITOR)
        # Create and change them, move applications, link employer staff (audited).
        grant("jobs.manage", *admins)

        from .models import Booth, JobFair

        dispatch.register(
            "jobs.fair",
            scan.fair_gate,
            label=_("Job fair gate"),  # type: ignore[arg-type]
            resolve=dispatch.resolver_by_pk(JobFair, "org"),
        )
        dispatch.register(
            "jobs.booth",
            scan.booth_scan,
            label=_("Job fair booth"),  # type: ignore[arg-type]
            resolve=dispatch.resolver_by_pk(Booth, "fair__org"),
        )
        h5menu.register(
            key="jobs", icon="briefcase", label=_("Jobs"), url_name="jobs:list", order=40
        )

        from gonghui.members import servicekinds

        # The rules of counting: docs/figures.md (a test compares its table to this registry).
        servicekinds.register(
            "jobs.application",
            _("Job application"),
            counts=True,
            cancelled_by="jobs.application_withdrawn",
        )
        servicekinds.register(
            "jobs.application_withdrawn",
            _("Job application withdrawn"),
            counts=False,
            compensates="jobs.application",
        )
        servicekinds.register("jobs.fair_checkin", _("Job fair check-in"), counts=True)

        from gonghui.core import labels

        labels.register_type("jobs.skill_pay", _("Skill-pay scheme"))

        from gonghui.members.figures import Unit, register

        from . import selectors as sel

        section = "jobs"
        register(
            "jobs.postings",
            _("Job postings"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_postings,
            order=10,
        )
        register(
            "jobs.applications",
            _("Job applications"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_applications,
            order=20,
        )
        register(
            "jobs.fairs",
            _("Job fairs held"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_fairs,
            order=30,
        )
        register(
            "jobs.fair_checkins",
            _("Job fair check-ins"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_fair_checkins,
            order=40,
        )
        register(
            "jobs.skill_pay_coverage",
            _("Skill-pay linkage coverage of above-scale enterprises"),
            section=section,
            unit=Unit.PERMILLE,
            compute=sel.figure_skill_pay_coverage,
            additive=False,
            stock=True,
            order=50,
        )
