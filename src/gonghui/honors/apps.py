from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HonorsConfig(AppConfig):
    name = "gonghui.honors"
    label = "honors"
    verbose_name = _("Model workers and volunteers")

    def ready(self) -> None:
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        admins = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
        grant("honors.view", *admins, Role.AUDITOR)
        grant("honors.manage", *admins)

        from gonghui.members import servicekinds

        # The rules of counting: docs/figures.md. The volunteer gives the service (their
        # figure is hours); a volunteer activity is counted at its sign-up in activities.
        servicekinds.register("honors.volunteer_service", _("Volunteer service"), counts=False)

        from gonghui.members import attendance, h5menu

        from .services import attendance_listener

        attendance.subscribe(attendance_listener)
        h5menu.register(
            key="volunteer",
            icon="hand-helping",
            label=_("My volunteering"),
            url_name="honors:mine",
            order=70,
        )
        h5menu.register(
            key="honours",
            icon="award",
            label=_("Model workers"),
            url_name="honours:showcase",
            order=75,
        )

        from django.utils.text import format_lazy

        from gonghui.members.figures import Unit, register

        from . import selectors as sel
        from .models import HonourLevel

        section = "honors"
        for n, level in enumerate(HonourLevel):
            register(
                f"honors.honorees.{level.value}",
                format_lazy(_("Honorees: {level}"), level=level.label),
                section=section,
                unit=Unit.COUNT,
                compute=sel.figure_honorees_of_level(level.value),
                stock=True,
                order=10 + n,
            )
        register(
            "honors.volunteer_services",
            _("Volunteer services held"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_volunteer_services,
            order=50,
        )
        register(
            "honors.volunteer_hours",
            _("Volunteer hours"),
            section=section,
            unit=Unit.HOURS,
            compute=sel.figure_volunteer_hours,
            order=60,
        )
