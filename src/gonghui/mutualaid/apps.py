from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MutualAidConfig(AppConfig):
    name = "gonghui.mutualaid"
    label = "mutualaid"
    verbose_name = _("Medical mutual aid")

    def ready(self) -> None:
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        admins = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
        # Claims hold health data: reviewers and case workers at the org, and the admins above.
        grant("mutualaid.view", *admins, Role.REVIEWER, Role.CASE_WORKER)
        grant("mutualaid.review", *admins, Role.REVIEWER, Role.CASE_WORKER)
        grant("mutualaid.pay", *admins, Role.REVIEWER)
        # Plans and categories: configured by federation admins, read by those who work claims.
        grant("mutualaid.plans", *admins, Role.REVIEWER, Role.CASE_WORKER)
        grant("mutualaid.configure", Role.FEDERATION_ADMIN)
        # Enrolment batches and premium invoices.
        grant("mutualaid.enrol", *admins)
        # Figures (counts and amounts, no health data).
        grant("mutualaid.figures", *admins, Role.REVIEWER, Role.CASE_WORKER, Role.AUDITOR)

        from gonghui.members import h5menu

        h5menu.register(
            key="mutualaid",
            icon="heart-pulse",
            label=_("Medical mutual aid"),
            url_name="mutualaid:home",
            order=40,
        )

        from gonghui.members import servicekinds

        # The rules of counting: docs/figures.md.
        servicekinds.register("mutualaid.enrolment", _("Mutual-aid enrolment"), counts=True)
        servicekinds.register(
            "mutualaid.claim_paid",
            _("Mutual-aid claim paid"),
            counts=True,
            amount=servicekinds.Amount.SPENT,
        )

        from gonghui.core import sealed

        from .models import DOCUMENT_FOLDER, AidClaim, ClaimDocument

        sealed.register_columns(AidClaim)
        sealed.register_columns(ClaimDocument)
        sealed.register_files(ClaimDocument, folder=DOCUMENT_FOLDER)

        from gonghui.core import labels
        from gonghui.funds import ledgerkinds

        from .models import EnrolmentBatch, PremiumInvoice

        ledgerkinds.register("mutualaid.premium", _("Mutual-aid premium"))
        ledgerkinds.register("mutualaid.payout", _("Mutual-aid payout"))
        labels.register_type("mutualaid.claim", AidClaim._meta.verbose_name)
        labels.register_type("mutualaid.invoice", PremiumInvoice._meta.verbose_name)
        labels.register_type("mutualaid.batch", EnrolmentBatch._meta.verbose_name)
        labels.register_type("demo.mutualaid", _("Demo data"))

        from django.urls import reverse

        from gonghui.members.figures import Unit, register, register_pending

        from . import selectors as sel

        section = "mutualaid"
        register(
            "mutualaid.insured",
            _("Mutual-aid enrolments in force"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_insured,
            stock=True,
            order=10,
        )
        register(
            "mutualaid.premiums",
            _("Mutual-aid premiums received"),
            section=section,
            unit=Unit.FEN,
            compute=sel.figure_premiums_fen,
            order=20,
        )
        register(
            "mutualaid.claims_paid",
            _("Mutual-aid claims paid"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_claims_paid,
            order=30,
        )
        register(
            "mutualaid.claims_paid_fen",
            _("Mutual-aid payouts"),
            section=section,
            unit=Unit.FEN,
            compute=sel.figure_claims_paid_fen,
            order=40,
        )
        register_pending(
            "mutualaid.claims",
            _("Mutual-aid claims to check"),
            count=sel.pending_claims,
            url=lambda org: reverse("admin:mutualaid_aidclaim_changelist") + "?status=submitted",
            order=40,
        )
