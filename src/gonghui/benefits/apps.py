from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "gonghui.benefits"
    label = "benefits"
    verbose_name = _("Merchant benefits")

    def ready(self) -> None:
        from gonghui.codes import dispatch
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        admins = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
        grant("benefits.view", *admins, Role.AUDITOR)
        grant("benefits.manage", *admins)
        grant("benefits.void", *admins)
        grant("benefits.settle", Role.FEDERATION_ADMIN)

        from .models import Store
        from .scan import scan_handler
        from .selectors import cashier_terminals_q

        dispatch.register(
            "benefits.store",
            scan_handler,
            label=_("Store"),  # type: ignore[arg-type]  # stringified on registration
            resolve=dispatch.resolver_by_pk(Store, "merchant__org"),
        )
        # A merchant's cashiers operate the terminals of its stores (and nothing else).
        dispatch.register_operator("benefits.cashier", cashier_terminals_q)

        from gonghui.members import servicekinds

        # The rules of counting: docs/figures.md. The amount is the union's subsidy (0 when
        # the merchant pays the discount); a void cancels the redemption and its subsidy.
        servicekinds.register(
            "benefits.redemption",
            _("Merchant discount"),
            counts=True,
            amount=servicekinds.Amount.SPENT,
            cancelled_by="benefits.redemption_void",
        )
        servicekinds.register(
            "benefits.redemption_void",
            _("Discount voided"),
            counts=False,
            amount=servicekinds.Amount.SPENT,
            compensates="benefits.redemption",
        )

        from gonghui.core import labels
        from gonghui.funds import ledgerkinds

        ledgerkinds.register("benefits.subsidy", _("Discount subsidy"))
        ledgerkinds.register("benefits.subsidy_void", _("Discount subsidy voided"))
        ledgerkinds.register("benefits.settlement", _("Merchant settlement"))
        labels.register_type("demo.benefits", _("Demo data"))

        from django.urls import reverse

        from gonghui.members.figures import Unit, register, register_pending

        from . import selectors as sel

        section = "benefits"
        register(
            "benefits.redemptions",
            _("Discounts redeemed"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_redemptions,
            order=10,
        )
        register(
            "benefits.subsidy",
            _("Union subsidy on discounts"),
            section=section,
            unit=Unit.FEN,
            compute=sel.figure_subsidy_fen,
            order=20,
        )
        register(
            "benefits.merchants",
            _("Partner merchants"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_merchants_active,
            stock=True,
            order=30,
        )
        register(
            "benefits.stores",
            _("Partner stores"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_stores_active,
            stock=True,
            order=40,
        )
        register_pending(
            "benefits.settlements",
            _("Merchant settlements to pay"),
            count=sel.pending_settlements,
            url=lambda org: reverse("admin:benefits_settlement_changelist") + "?status=draft",
            order=30,
        )
