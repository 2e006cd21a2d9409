from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "gonghui.funds"
    label = "funds"
    verbose_name = _("Funds")

    def ready(self) -> None:
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        grant("funds.view", Role.FEDERATION_ADMIN, Role.UNION_ADMIN, Role.AUDITOR)
        grant("funds.manage", Role.FEDERATION_ADMIN)
