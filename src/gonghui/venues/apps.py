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

        servicekinds.register("venues.booking", _("Venue booking"))
        servicekinds.register("venues.entry", _("Venue entry"))
