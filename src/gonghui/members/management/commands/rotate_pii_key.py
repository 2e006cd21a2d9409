"""``gonghui rotate-pii-key``: re-encrypt everything sealed under an older PII key.

After a new key is put first in ``GONGHUI_PII_KEYS`` (``"k2:...,k1:..."``), this command walks
the registry of ``core.sealed`` — the sealed columns and files each app registers in its
``AppConfig.ready()`` (members' and enrolments' ID numbers and phones, hardship files, rights
cases and their timeline, mutual-aid claims, evidence and claim documents, …) — and re-encrypts
every token and file still under an older key: columns in batches (each batch one transaction,
rows locked), files one by one (atomic replacement, mode 0600), printing a progress line per
batch (per 100 files). It is idempotent: a second run finds nothing to do, and the last line
says how much is left under older keys (0 when done). Each run (not ``--dry-run``) writes one
audit entry with the counts of the tables that hold data. When it reports 0 left, the old key
can be removed.
Blind indexes are not touched: they use ``GONGHUI_BLIND_INDEX_KEY``, not the PII keys.
Staff TOTP secrets have their own command (``rotate-totp-key``); run it too before an old key is
dropped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from gonghui.core import crypto, sealed
from gonghui.core.audit import audit_record

ACTOR = "gonghui rotate-pii-key"


class Command(BaseCommand):
    help = (
        "Re-encrypt every sealed column and file (core.sealed registry) under the active PII key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="count what would be re-encrypted, change nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        dry_run: bool = options["dry_run"]
        active = crypto.active_key_id()
        counts: dict[str, int] = {}
        for entry in sealed.registered_columns():
            if not sealed.count_rows(entry):
                continue  # nothing sealed in this table
            total = sealed.count_stale(entry)
            if dry_run:
                self.stdout.write(
                    f"{entry.label}: {total} rows would be re-encrypted under key {active!r}"
                )
            else:
                total = self._rotate_columns(entry, total, batch_size)
            counts[entry.label] = total
        for files in sealed.registered_files():
            if not sealed.count_files(files):
                continue
            if dry_run:
                total = sealed.count_stale_files(files)
                self.stdout.write(
                    f"{files.label}: {total} files would be re-encrypted under key {active!r}"
                )
            else:
                total = self._rotate_files(files)
            counts[files.label] = total
        if dry_run:
            self.stdout.write("dry run: nothing changed")
            return
        with transaction.atomic():
            audit_record(
                actor=ACTOR,
                action="members.pii.rotate_key",
                data={"key_id": active, "rows": counts},
            )
        done = ", ".join(f"{k}={v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"re-encrypted under key {active!r}: {done}"))
        left = sum(sealed.count_stale(e) for e in sealed.registered_columns()) + sum(
            sealed.count_stale_files(f) for f in sealed.registered_files()
        )
        self.stdout.write(f"{left} left under older keys")

    def _progress(self, label: str, total: int, every: int = 1) -> Any:
        def report(done: int) -> None:
            if done % every and done != total:
                return
            shown = max(total, done)
            pct = 100 * done // shown if shown else 100
            self.stdout.write(f"{label}: {done}/{shown} ({pct}%)")

        return report

    def _rotate_columns(self, entry: sealed.SealedColumns, total: int, batch_size: int) -> int:
        try:
            return sealed.rotate_columns(
                entry, batch_size=batch_size, progress=self._progress(entry.label, total)
            )
        except crypto.DecryptionError as exc:
            raise CommandError(
                f"{entry.label}: a token does not decrypt ({exc}); is its key still in "
                "GONGHUI_PII_KEYS?"
            ) from None

    def _rotate_files(self, files: sealed.SealedFiles) -> int:
        total = sealed.count_stale_files(files)
        try:
            return sealed.rotate_files(files, progress=self._progress(files.label, total, 100))
        except crypto.DecryptionError as exc:
            raise CommandError(
                f"{files.label}: a file does not decrypt ({exc}); is its key still in "
                "GONGHUI_PII_KEYS?"
            ) from None
