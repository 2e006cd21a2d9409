from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VenuesConfig(AppConfig):
    name = "gonghui.venues"
    label = "venues"
    verbose_name = _("Venue services")

    def ready(self) -> None:
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        admins = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
        # See venues, slots, bookings and entries of the subtree.
        grant("venues.view", *admins, Role.VENUE_KEEPER, Role.AUDITOR)
        # Edit venues, hours, closures, templates; generate slots; cancel any booking (audited).
        grant("venues.manage", *admins, Role.VENUE_KEEPER)
        # Book a venue exclusively for one's union (one-off or weekly).
        grant("venues.book", *admins)

        from gonghui.codes import dispatch

        from . import scan
        from .models import Venue

        dispatch.register(
            "venues.venue",
            scan.entry_scan,
            label=str(_("Venue entrance")),
            resolve=dispatch.resolver_by_pk(Venue, "org"),
        )

        from gonghui.members import h5menu

        h5menu.register(
            key="venues", icon="building-2", label=_("Venues"), url_name="venues:list", order=40
        )

        from gonghui.members import servicekinds

        # The rules of counting: docs/figures.md. A member's booking counts; entering on it
        # does not count again. Entering on the union's booking counts (it has no event).
        servicekinds.register(
            "venues.booking",
            _("Venue booking"),
            counts=True,
            cancelled_by="venues.booking_cancelled",
        )
        servicekinds.register(
            "venues.booking_cancelled",
            _("Venue booking cancelled"),
            counts=False,
            compensates="venues.booking",
        )
        servicekinds.register("venues.entry", _("Venue entry"), counts=False)
        servicekinds.register(
            "venues.group_entry", _("Venue entry on the union's booking"), counts=True
        )

        from gonghui.members.figures import Unit, register

        from . import selectors as sel

        register(
            "venues.bookings",
            _("Venue bookings"),
            section="activities",
            unit=Unit.COUNT,
            compute=sel.figure_bookings,
            order=60,
        )
        register(
            "venues.entries",
            _("Venue entries"),
            section="activities",
            unit=Unit.COUNT,
            compute=sel.figure_entries,
            order=70,
        )
