from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "gonghui.members"
    label = "members"
    verbose_name = _("Membership")

    def ready(self) -> None:
        from gonghui.core import sealed

        from .models import PURPOSE_BIRTH_DATE, PURPOSE_ID_NUMBER, PURPOSE_PHONE, Enrolment, Member

        # Personal data sealed by members.pii, re-encrypted by ``gonghui rotate-pii-key``.
        pii = {"id_number_cipher": PURPOSE_ID_NUMBER, "phone_cipher": PURPOSE_PHONE}
        sealed.register_columns(Member, {**pii, "birth_date_cipher": PURPOSE_BIRTH_DATE})
        sealed.register_columns(Enrolment, pii)

        from django.core import checks

        from . import figures, servicekinds

        # The rules of counting: docs/figures.md. Joining the union (入会) is a service: one
        # event when the application is approved (members created by staff or a roster import
        # leave none).
        servicekinds.register("members.enrolment", _("Joined the union"), counts=True)
        checks.register(servicekinds.system_check)
        checks.register(figures.system_check)
        _register_figures()

        from gonghui.core import labels

        from .models import TransferRequest

        labels.register_type("members.transfer", TransferRequest._meta.verbose_name)
        labels.register_type("members.roster", _("Member roster"))
        labels.register_type("members.pii", _("Personal data"))


def _register_figures() -> None:
    """The dashboard's sections (all here, so that their order is in one place) and the
    members app's own figures and pending-work counters (docs/figures.md)."""
    from django.urls import reverse
    from django.utils.translation import pgettext_lazy

    from . import selectors
    from .figures import Unit, register, register_pending, register_section

    for order, (key, label) in enumerate(
        [
            ("members", pgettext_lazy("dashboard section", "Members")),
            ("services", pgettext_lazy("dashboard section", "Services")),
            ("funds", pgettext_lazy("dashboard section", "Funds")),
            ("benefits", pgettext_lazy("dashboard section", "Member benefits")),
            ("activities", pgettext_lazy("dashboard section", "Activities")),
            ("mutualaid", pgettext_lazy("dashboard section", "Mutual-aid cover")),
            ("assistance", pgettext_lazy("dashboard section", "Hardship assistance")),
            ("rights", pgettext_lazy("dashboard section", "Rights protection")),
            ("jobs", pgettext_lazy("dashboard section", "Employment")),
            (
                "honors",
                pgettext_lazy("dashboard section", "Model workers, craftsmen and volunteers"),
            ),
            ("academy", pgettext_lazy("dashboard section", "Craftsman academy")),
        ]
    ):
        register_section(key, label, order=(order + 1) * 10)

    register(
        "members.new",
        _("New members"),
        section="members",
        unit=Unit.COUNT,
        compute=selectors.figure_new_members,
        order=10,
    )
    register(
        "members.new_gig",
        _("New members in new forms of employment"),
        section="members",
        unit=Unit.COUNT,
        compute=selectors.figure_new_gig_members,
        order=20,
    )
    register(
        "members.total",
        _("Members on the roll"),
        section="members",
        unit=Unit.COUNT,
        compute=selectors.figure_members_total,
        stock=True,
        order=30,
    )
    register_pending(
        "members.enrolments",
        _("Applications to join awaiting review"),
        count=selectors.pending_enrolments,
        url=lambda org: reverse("admin:members_enrolment_changelist") + "?status=submitted",
        order=10,
    )
    register_pending(
        "members.transfers",
        _("Transfers awaiting review"),
        count=selectors.pending_transfers,
        url=lambda org: reverse("admin:members_transferrequest_changelist") + "?status=pending",
        order=20,
    )
