from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AcademyConfig(AppConfig):
    name = "gonghui.academy"
    label = "academy"
    verbose_name = _("Craftsman academy")

    def ready(self) -> None:
        from gonghui.members import h5menu, servicekinds
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        admins = (Role.FEDERATION_ADMIN, Role.UNION_ADMIN)
        grant("academy.view", *admins, Role.AUDITOR)
        grant("academy.manage", *admins)
        h5menu.register(
            key="academy",
            icon="graduation-cap",
            label=_("Online courses"),
            url_name="academy:list",
            order=45,
        )
        # The rules of counting: docs/figures.md. Each lesson studied counts; the certificate
        # that closes the lessons does not count again.
        servicekinds.register("academy.lesson_completed", _("Lesson completed"), counts=True)
        servicekinds.register("academy.certificate", _("Certificate issued"), counts=False)

        from gonghui.members.figures import Unit, register

        from . import selectors as sel

        section = "academy"
        register(
            "academy.enrolments",
            _("Course enrolments"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_enrolments,
            order=10,
        )
        register(
            "academy.lessons",
            _("Lessons completed"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_lessons,
            order=20,
        )
        register(
            "academy.certificates",
            _("Certificates issued"),
            section=section,
            unit=Unit.COUNT,
            compute=sel.figure_certificates,
            order=30,
        )
