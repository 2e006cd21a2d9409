from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "gonghui.assistance"
    label = "assistance"
    verbose_name = _("Hardship assistance")

    def ready(self) -> None:
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        admins = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
        # Supervisors: every file in their subtree; rules and figures.
        grant("assistance.supervise", *admins)
        # Case workers: only the files assigned to them (in their subtree).
        grant("assistance.work", Role.CASE_WORKER)
        # Gradient rules and yearly figures (no personal data).
        grant("assistance.rules", *admins)
        grant("assistance.figures", *admins, Role.AUDITOR)

        from gonghui.members import h5menu

        h5menu.register(
            key="assistance",
            icon="hand-heart",
            label=_("Hardship help"),
            url_name="assistance:home",
            order=60,
        )

        from gonghui.members import servicekinds

        # The rules of counting: docs/figures.md.
        servicekinds.register(
            "assistance.visit",
            _("Hardship visit"),
            counts=True,
            amount=servicekinds.Amount.SPENT,
        )
        servicekinds.register(
            "assistance.grant",
            _("Hardship grant"),
            counts=True,
            amount=servicekinds.Amount.SPENT,
        )

        from gonghui.core import sealed

        from .models import FileEvent, HardshipDocument, HardshipFile, HelpRecord, HouseholdMember

        for model in (HardshipFile, HouseholdMember, FileEvent, HelpRecord, HardshipDocument):
            sealed.register_columns(model)
        sealed.register_files(HardshipDocument, folder="assistance/documents")

        from django.utils.text import format_lazy

        from gonghui.core import labels
        from gonghui.funds import ledgerkinds

        ledgerkinds.register("assistance.help", _("Hardship help"))
        labels.register_type("assistance.file", HardshipFile._meta.verbose_name)
        labels.register_action(
            "assistance.file.activate",
            format_lazy("{} · {}", HardshipFile._meta.verbose_name, _("activated")),
        )
        labels.register_type("assistance.help", HelpRecord._meta.verbose_name)
        labels.register_type("assistance.document", HardshipDocument._meta.verbose_name)
        labels.register_type("assistance.rule", _("Help rule"))
        labels.register_type("demo.assistance", _("Demo data"))

        from django.urls import reverse

        from gonghui.members.figures import Unit, register, register_pending

        from . import selectors as sel

        section = "assistance"
        register(
            "assistance.files",
            _("Households in hardship on file"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_files,
            stock=True,
            order=10,
            public=False,
        )
        register(
            "assistance.visits",
            _("Hardship visits"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_visits,
            order=20,
        )
        register(
            "assistance.grants",
            _("Hardship grants given"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_grants,
            order=30,
        )
        register(
            "assistance.grants_fen",
            _("Hardship grants paid"),
            section=section,
            unit=Unit.FEN,
            compute=sel.figure_grants_fen,
            order=40,
        )
        register_pending(
            "assistance.reviews",
            _("Hardship files due for review"),
            count=sel.pending_reviews,
            url=lambda org: reverse("admin:assistance_hardshipfile_changelist") + "?status=active",
            order=50,
        )
