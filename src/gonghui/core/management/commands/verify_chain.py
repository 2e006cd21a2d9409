"""`gonghui verify-chain [--heads FILE]`: recompute the hash chains; fail on any gap or change.

Exit status 0 when every seal matches its rows and every head in FILE matches its seal; 1
(CommandError) otherwise, naming each problem."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gonghui.core import chain


class Command(BaseCommand):
    help = "Verify the hash chains of the audit log and the ledger (and heads kept outside)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--heads", help="file of heads written by `gonghui chain-head --file`")
        parser.add_argument("--chain", action="append", dest="chains", help="only this chain")

    def handle(self, *args: Any, **options: Any) -> None:
        heads = chain.heads_read(options["heads"]) if options["heads"] else None
        report = chain.chain_verify(names=options["chains"], heads=heads)
        for name in sorted(report.seals):
            self.stdout.write(
                f"{name}: {report.seals[name]} seal(s), {report.rows[name]} row(s) checked, "
                f"{report.unsealed[name]} not sealed yet"
            )
        if heads is not None:
            self.stdout.write(f"{report.heads_checked} head(s) from {options['heads']} checked")
        if report.problems:
            lines = "\n".join(p.message for p in report.problems)
            raise CommandError(f"{len(report.problems)} problem(s) in the hash chains:\n{lines}")
        self.stdout.write("chains intact")
