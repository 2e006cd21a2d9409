"""`gonghui seal-chain`: seal the rows of the hash chains committed since the last run.

Celery beat runs the same every minute in production; in the embedded default run it from cron.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gonghui.core import chain


class Command(BaseCommand):
    help = "Seal the audit log and ledger rows committed since the last run (hash chain)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", action="append", dest="chains", help="only this chain")
        parser.add_argument(
            "--wait", type=float, default=5.0, help="seconds to wait for running writers"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seals = chain.chain_seal(names=options["chains"], wait_seconds=options["wait"])
        for s in seals:
            self.stdout.write(f"{s.chain} seal {s.seq}: {s.rows} row(s) up to id {s.upto_id}")
        self.stdout.write(f"{len(seals)} seal(s) written")
