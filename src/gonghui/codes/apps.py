from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodesConfig(AppConfig):
    name = "gonghui.codes"
    label = "codes"
    verbose_name = _("Benefit code")

    def ready(self) -> None:
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        admins = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
        # Terminals: create, disable, rotate keys, print posters.
        grant("codes.terminals", *admins)
        # Credentials: see them (no seeds), revoke and unlock them (audited).
        grant("codes.credentials", *admins, Role.AUDITOR)
        grant("codes.revoke", *admins)
        # Operate a terminal of one's subtree from a signed-in session (scan, today, void): only
        # the roles that run terminals. A merchant's cashiers need no role: the benefits app
        # admits them to their merchant's stores (codes.dispatch.register_operator).
        grant("pos.operate", *admins, Role.VENUE_KEEPER, Role.ORGANISER)

        from gonghui.members import h5menu

        h5menu.register(
            key="code", icon="qr-code", label=_("My code"), url_name="codes:page", order=10
        )
