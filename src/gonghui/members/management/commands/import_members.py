"""``gonghui import-members FILE --union CODE [--dry-run] [--report PATH]``

Imports a member roster (.xlsx or .csv; columns in ``members/roster/columns.py``) into one union,
with a progress bar on stderr and a summary on stdout. Exit codes: 0 when every row was imported
or already present, 1 when some rows were bad (the error report lists them), 2 when the file or
the union was refused and nothing was imported. Rules: ``members/roster/importer.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO, cast

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gonghui.core.errors import Refused
from gonghui.members.roster.importer import (
    BATCH_SIZE,
    IMPORT_CAPABILITY,
    import_job_create_from_path,
    roster_import,
)
from gonghui.members.roster.progress import TextProgress
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

EXIT_BAD_ROWS = 1
EXIT_REFUSED = 2


class Command(BaseCommand):
    help = "Import a member roster (.xlsx or .csv) into a union."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the roster, .xlsx or .csv")
        parser.add_argument("--union", required=True, help="code of the union to import into")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, import nothing"
        )
        parser.add_argument("--report", help="where to write the .xlsx error report")
        parser.add_argument(
            "--user", help="staff username recorded as the actor (needs members.import)"
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(
                _("No such file: %(path)s") % {"path": path}, returncode=EXIT_REFUSED
            )
        org = Org.objects.filter(code=options["union"]).first()
        if org is None:
            raise CommandError(
                _("No union has the code %(code)s.") % {"code": options["union"]},
                returncode=EXIT_REFUSED,
            )
        actor: Any = "gonghui import-members"
        if options["user"]:
            actor = (
                get_user_model().objects.filter(username=options["user"], is_active=True).first()
            )
            if actor is None or not can(actor, IMPORT_CAPABILITY, org):
                raise CommandError(
                    _("The user %(user)s may not import members into %(union)s.")
                    % {"user": options["user"], "union": org.name},
                    returncode=EXIT_REFUSED,
                )
        try:
            job = import_job_create_from_path(org=org, path=path, actor=actor)
        except Refused as exc:
            raise CommandError(str(exc.message), returncode=EXIT_REFUSED) from None
        bar = None if options["no_progress"] else TextProgress(cast(TextIO, self.stderr._out))
        try:
            result = roster_import(
                job=job,
                path=path,
                progress=bar,
                dry_run=options["dry_run"],
                report_path=options["report"],
                actor=actor,
                batch_size=max(1, options["batch_size"]),
            )
        except Refused as exc:
            if bar:
                bar.close()
            raise CommandError(str(exc.message), returncode=EXIT_REFUSED) from None
        if bar:
            bar.close()
        out = self.stdout
        out.write(
            _(
                "%(union)s: %(rows)s rows, %(imported)s imported, %(present)s already present, %(errors)s bad."
            )
            % {
                "union": org.name,
                "rows": result.total,
                "imported": result.would_import if result.dry_run else result.imported,
                "present": result.present,
                "errors": result.errors,
            }
        )
        if result.dry_run:
            out.write(
                _("Dry run: nothing was imported (%(n)s rows would be).")
                % {"n": result.would_import}
            )
        if result.report_path:
            out.write(_("Error report: %(path)s") % {"path": result.report_path})
        out.write(_("Import job: #%(id)s") % {"id": job.pk})
        if result.errors:
            sys.exit(EXIT_BAD_ROWS)
