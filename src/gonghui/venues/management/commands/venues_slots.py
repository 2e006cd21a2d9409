"""``gonghui venues_slots``: generate venue slots ahead from the templates and mark no-shows."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gonghui.venues import services


class Command(BaseCommand):
    help = "Generate venue slots ahead from slot templates, and mark past bookings as no-shows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-shows-only", action="store_true", help="only mark no-shows")

    def handle(self, *args: Any, **options: Any) -> None:
        created = 0
        if not options["no_shows_only"]:
            created = services.slots_generate()
        marked = services.no_shows_mark()
        self.stdout.write(f"slots created: {created}; no-shows marked: {marked}")
