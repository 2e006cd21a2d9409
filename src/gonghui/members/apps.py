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

        from gonghui.core import labels

        from .models import TransferRequest

        labels.register_type("members.transfer", TransferRequest._meta.verbose_name)
        labels.register_type("members.roster", _("Member roster"))
        labels.register_type("members.pii", _("Personal data"))
