from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "gonghui.activities"
    label = "activities"
    verbose_name = _("Activities and registrations")

    def ready(self) -> None:
        from gonghui.codes import dispatch
        from gonghui.members import h5menu
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        admins = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
        # See activities, sessions, registrations and check-ins; export attendee lists.
        grant("activities.view", *admins, Role.ORGANISER, Role.REVIEWER, Role.AUDITOR)
        # Create and edit activities and sessions, run draws, check people in, close attendance.
        grant("activities.manage", *admins, Role.ORGANISER)
        # Approve or reject applications (review allocation).
        grant("activities.review", *admins, Role.REVIEWER, Role.ORGANISER)

        from .models import Session
        from .scan import checkin_scan_handler

        dispatch.register(
            "activities.session",
            checkin_scan_handler,
            label=_("Activity session (check-in)"),  # type: ignore[arg-type] # lazy: shown translated
            resolve=dispatch.resolver_by_pk(Session, "activity__org"),
        )
        h5menu.register(
            key="activities",
            icon="calendar-days",
            label=_("Activities"),
            url_name="activities:list",
            order=20,
        )

        from gonghui.members import servicekinds

        # The rules of counting: docs/figures.md. A registration that holds a place counts
        # (with its subsidy); the check-in on it does not count again.
        servicekinds.register(
            "activities.registration",
            _("Activity sign-up"),
            counts=True,
            amount=servicekinds.Amount.SPENT,
            cancelled_by="activities.registration_cancelled",
        )
        servicekinds.register(
            "activities.registration_cancelled",
            _("Activity sign-up cancelled"),
            counts=False,
            amount=servicekinds.Amount.SPENT,
            compensates="activities.registration",
        )
        servicekinds.register("activities.checkin", _("Activity check-in"), counts=False)

        from gonghui.members import attendance

        from .attendance import SOURCE, provider

        attendance.register_provider(SOURCE, provider)

        from gonghui.core import labels
        from gonghui.funds import ledgerkinds

        ledgerkinds.register("activities.subsidy", _("Activity subsidy"))
        ledgerkinds.register("activities.subsidy_refund", _("Activity subsidy refunded"))
        labels.register_type("activities.attendees", _("Attendee list"))

        from django.utils.text import format_lazy

        from gonghui.members.figures import Unit, register

        from . import selectors as sel
        from .models import Kind

        section = "activities"
        register(
            "activities.sessions",
            _("Activity sessions held"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_sessions,
            order=10,
        )
        register(
            "activities.places",
            _("Places given at activities"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_places,
            order=20,
        )
        register(
            "activities.checkins",
            _("Activity check-ins"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_checkins,
            order=30,
        )
        register(
            "activities.subsidy",
            _("Union subsidy on activities"),
            section=section,
            unit=Unit.FEN,
            compute=sel.figure_subsidy_fen,
            order=40,
        )
        for n, kind in enumerate(Kind):
            register(
                f"activities.places.{kind.value}",
                format_lazy(_("Places given: {kind}"), kind=kind.label),
                section=section,
                unit=Unit.COUNT,
                compute=sel.figure_places_of_kind(kind.value),
                order=100 + n,
            )
