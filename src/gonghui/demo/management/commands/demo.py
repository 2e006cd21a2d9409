"""``gonghui demo``: load the demo data (idempotent) and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gonghui.demo import data
from gonghui.demo.services import demo_load
from gonghui.orgs.models import Role


class Command(BaseCommand):
    help = (
        "Load demo data (a Yuhuan-like city federation with unions, enterprises, 2,000 members "
        "and one staff login per role) and print the demo logins. Running it again changes "
        "nothing. Refused when GONGHUI_ENV=production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="where the server will answer, for the printed links",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "gonghui demo creates logins with a published password; "
                "it is refused when GONGHUI_ENV=production."
            )
        result = demo_load()
        if options["verbosity"] >= 2:
            self.stderr.write(f"created: {result}")
        self._print_logins(options["base_url"].rstrip("/"))

    def _print_logins(self, base: str) -> None:
        orgs = {spec.code: spec.name for spec in data.ORGS}
        out = self.stdout
        out.write("")
        out.write(f"Gonghui demo · {data.FEDERATION.name} ({data.REGION})")
        out.write(
            f"  {len(data.ORGS)} union organisations, {len(data.ENTERPRISES)} enterprises, "
            f"{data.MEMBER_COUNT} members, {data.PENDING_ENROLMENTS} enrolments awaiting review"
        )
        out.write("")
        out.write(f"Staff console  {base}/admin/")
        out.write(f"  password of every demo login: {data.PASSWORD}")
        out.write(f"  {'username':<16} {'role':<20} organisation")
        out.write(f"  {'-' * 16} {'-' * 20} {'-' * 28}")
        for spec in data.STAFF:
            role = "Superuser" if spec.role is None else str(Role(spec.role).label)
            org = orgs.get(spec.org or "", "(everything)")
            out.write(f"  {spec.username:<16} {role:<20} {org}")
        out.write("")
        out.write(f"Member H5      {base}/m/")
        out.write(
            f"  sign in with the demo member's phone {data.DEMO_MEMBER_PHONE}; the SMS code is "
            "printed in the server log (SMS to ...)."
        )
        out.write("")
