from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "gonghui.rights"
    label = "rights"
    verbose_name = _("Rights and legal aid")

    def ready(self) -> None:
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        admins = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
        # Supervisors: every case in their subtree (assign, follow, close).
        grant("rights.supervise", *admins)
        # Lawyers and case workers: only the cases assigned to them (in their subtree).
        grant("rights.work", Role.LAWYER, Role.CASE_WORKER)
        # Case types and collective contracts (no personal data).
        grant("rights.config", Role.FEDERATION_ADMIN)
        grant("rights.contracts", *admins, Role.AUDITOR)
        grant("rights.contracts_manage", *admins)

        from gonghui.members import h5menu

        h5menu.register(
            key="rights", icon="scale", label=_("Legal aid"), url_name="rights:home", order=62
        )

        from gonghui.members import servicekinds

        # The rules of counting: docs/figures.md. A member's case counts once, at its intake;
        # the answer and the closing of that case do not count again. The members of a
        # collective case are counted when it closes (one event each, with their amount).
        servicekinds.register("rights.intake", _("Rights case received"), counts=True)
        servicekinds.register("rights.consultation", _("Legal consultation"), counts=False)
        servicekinds.register(
            "rights.case_closed",
            _("Rights case closed"),
            counts=False,
            amount=servicekinds.Amount.RECOVERED,
        )
        servicekinds.register(
            "rights.collective_closed",
            _("Collective case closed"),
            counts=True,
            amount=servicekinds.Amount.RECOVERED,
        )

        from gonghui.core import sealed

        from .models import CaseEntry, RightsCase

        # The contact phone of an anonymous intake was already a core.crypto token.
        sealed.register_columns(RightsCase, {"contact_phone_cipher": "rights.contact_phone"})
        sealed.register_columns(CaseEntry)

        from gonghui.core import labels

        from .models import CollectiveContract

        labels.register_type("rights.case", RightsCase._meta.verbose_name)
        labels.register_type("rights.contract", CollectiveContract._meta.verbose_name)

        from django.urls import reverse

        from gonghui.members.figures import Unit, register, register_pending

        from . import selectors as sel

        section = "rights"
        register(
            "rights.opened",
            _("Rights cases opened"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_cases_opened,
            order=10,
        )
        register(
            "rights.closed",
            _("Rights cases closed"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_cases_closed,
            order=20,
        )
        register(
            "rights.recovered",
            _("Money recovered for workers"),
            section=section,
            unit=Unit.FEN,
            compute=sel.figure_recovered_fen,
            order=30,
        )
        register(
            "rights.contract_coverage",
            _("Collective-contract coverage of above-scale enterprises"),
            section=section,
            unit=Unit.PERMILLE,
            compute=sel.figure_contract_coverage,
            additive=False,
            stock=True,
            order=40,
        )
        register_pending(
            "rights.overdue",
            _("Rights cases overdue"),
            count=sel.pending_overdue,
            url=lambda org: reverse("admin:rights_rightscase_changelist") + "?overdue=1",
            order=60,
        )
