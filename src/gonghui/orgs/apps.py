from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "gonghui.orgs"
    label = "orgs"
    verbose_name = _("Organisations and enterprises")

    def ready(self) -> None:
        from . import unfold_patches

        unfold_patches.install()
