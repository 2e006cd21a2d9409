"""`gonghui dashboard-rollup [--rebuild]`: bring the dashboard's roll-ups up to date.

Without an option it advances the roll-ups to the rows written since the last run (what Celery
beat does every minute when Redis is configured; in the embedded default run it from cron, or
not at all: the dashboard then reads the rows past the watermark live and stays exact).
``--rebuild`` empties them and fills them again from the sources (docs/figures.md, "Roll-ups")."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gonghui.dashboard.services import rollup_advance, rollup_rebuild


class Command(BaseCommand):
    help = "Advance the dashboard's roll-ups (or rebuild them from scratch with --rebuild)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="empty the roll-ups and rebuild them"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:7.1f} s] {message}")
            self.stdout.flush()

        if options["rebuild"]:
            marks = rollup_rebuild(progress=progress)
            progress(
                "rebuilt: events up to id {events}, activity up to id {activity}".format(**marks)
            )
            return
        total = {"events": 0, "activity": 0}
        while True:  # a long backlog comes in several transactions
            moved = rollup_advance()
            for name, n in moved.items():
                total[name] += n
            if not any(moved.values()):
                break
            progress("advanced: events +{events} ids, activity +{activity} ids".format(**moved))
        progress("up to date: events +{events} ids, activity +{activity} ids".format(**total))
