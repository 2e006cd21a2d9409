"""``gonghui export-members --union CODE OUT.xlsx [--reveal --user USERNAME]``

Writes the members of a union and its subtree to .xlsx, masked by default. Full ID numbers and
phones need ``--reveal`` and a staff ``--user`` who holds ``members.reveal`` there. Every export is
audited (``members.roster.export``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gonghui.core.errors import NotFound, Refused
from gonghui.members.roster.export import members_export
from gonghui.orgs.models import Org


class Command(BaseCommand):
    help = "Export a union's members to .xlsx (ID numbers and phones masked by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="the .xlsx file to write")
        parser.add_argument(
            "--union", required=True, help="code of the union (its subtree is included)"
        )
        parser.add_argument(
            "--reveal", action="store_true", help="full ID numbers and phones (audited)"
        )
        parser.add_argument("--user", help="staff username: the actor (required with --reveal)")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Org.objects.filter(code=options["union"]).first()
        if org is None:
            raise CommandError(_("No union has the code %(code)s.") % {"code": options["union"]})
        if not options["out"].lower().endswith(".xlsx"):
            raise CommandError(_("The output file must end in .xlsx."))
        actor: Any = "gonghui export-members"
        if options["user"]:
            actor = (
                get_user_model().objects.filter(username=options["user"], is_active=True).first()
            )
            if actor is None:
                raise CommandError(_("No active user %(user)s.") % {"user": options["user"]})
        try:
            count = members_export(
                actor=actor, org=org, out=options["out"], reveal=options["reveal"]
            )
        except NotFound:
            raise CommandError(
                _("The user %(user)s may not export the members of %(union)s.")
                % {"user": options["user"], "union": org.name}
            ) from None
        except Refused as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(
            _("%(n)s members of %(union)s written to %(path)s (%(how)s).")
            % {
                "n": count,
                "union": org.name,
                "path": options["out"],
                "how": _("full values") if options["reveal"] else _("masked"),
            }
        )
