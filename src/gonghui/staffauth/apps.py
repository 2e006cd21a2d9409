from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffAuthConfig(AppConfig):
    name = "gonghui.staffauth"
    label = "staffauth"
    verbose_name = _("Staff sign-in")

    def ready(self) -> None:
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        from .selectors import CAP_TOTP_RESET

        # A federation admin may reset the second factor of staff in their subtree.
        grant(CAP_TOTP_RESET, Role.FEDERATION_ADMIN)

        from gonghui.core import labels

        labels.register_type("staffauth.login", _("Staff sign-in"))
        labels.register_type("staffauth.totp", _("Two-factor sign-in"))
