"""`gonghui chain-head [--file FILE]`: print each chain's newest seal; append it to FILE.

Keep FILE outside the database and its backups (another host, write-once storage, a printed
page): `gonghui verify-chain --heads FILE` proves later that history was not rewritten."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gonghui.core import chain


class Command(BaseCommand):
    help = "Print the head of each hash chain; with --file, append it to that file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", help="append the head lines to this file")
        parser.add_argument("--seal", action="store_true", help="seal new rows first")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            chain.chain_seal()
        heads = chain.chain_heads()
        for h in heads:
            self.stdout.write(h.line())
        if options["file"]:
            chain.heads_append(options["file"], heads)
