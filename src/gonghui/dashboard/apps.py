from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """数据融合: the console's landing page, the dashboard API and the yearly work report.

    It only reads, and imports no service app: person-times and amounts come from
    ``ServiceEvent`` through ``members.selectors`` and ``members.servicekinds``, 月活 from member
    activity, money from the ledger (``funds.selectors``), and everything else from the figures
    each service app publishes in ``members.figures`` (docs/figures.md)."""

    name = "gonghui.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        grant("dashboard.view", Role.FEDERATION_ADMIN, Role.UNION_ADMIN, Role.AUDITOR)
