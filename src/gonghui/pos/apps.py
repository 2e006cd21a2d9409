from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PosConfig(AppConfig):
    """The terminal page /pos/ (cashiers) and the member's offer pages /m/offers/.

    It sits above ``codes`` and ``benefits``: the page scans through the code dispatch and reads
    the store's redemptions; it holds no models of its own."""

    name = "gonghui.pos"
    label = "pos"
    verbose_name = _("Point of sale")

    def ready(self) -> None:
        from gonghui.members import h5menu

        h5menu.register(
            key="offers",
            icon="ticket-percent",
            label=_("Offers near me"),
            url_name="offers:list",
            order=20,
        )
        h5menu.register(
            key="redemptions",
            icon="receipt",
            label=_("My discounts"),
            url_name="offers:redemptions",
            order=21,
        )
