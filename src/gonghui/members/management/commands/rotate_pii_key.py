"""``gonghui rotate-pii-key``: re-encrypt personal data under the active key.

After a new key is put first in ``GONGHUI_PII_KEYS`` (``"k2:...,k1:..."``), this command
re-encrypts every member's and enrolment's ID number and phone, and every member's birth date,
whose token is still under an older key, in batches (each batch one transaction, rows locked), printing a progress line per
batch. It is idempotent: a second run finds nothing to do. Each run (not ``--dry-run``) writes one
audit entry with the counts. When it reports 0 rows left, the old key can be removed.
Blind indexes are not touched: they use ``GONGHUI_BLIND_INDEX_KEY``, not the PII keys.
Other tables encrypt under the same keys and have their own commands (``rotate-totp-key`` for
staff TOTP secrets); run every one of them before an old key is dropped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import Q

from gonghui.core import crypto
from gonghui.core.audit import audit_record
from gonghui.members.models import (
    PURPOSE_BIRTH_DATE,
    PURPOSE_ID_NUMBER,
    PURPOSE_PHONE,
    Enrolment,
    Member,
)

Fields = tuple[tuple[str, str], ...]
FIELDS: Fields = (("id_number_cipher", PURPOSE_ID_NUMBER), ("phone_cipher", PURPOSE_PHONE))
# Each model with its sealed columns (column, purpose).
MODELS: tuple[tuple[type[models.Model], Fields], ...] = (
    (Member, (*FIELDS, ("birth_date_cipher", PURPOSE_BIRTH_DATE))),
    (Enrolment, FIELDS),
)
ACTOR = "gonghui rotate-pii-key"


def _active_prefix() -> str:
    return f"{crypto.VERSION}.{crypto.active_key_id()}."


def stale_q(prefix: str, fields: Fields = FIELDS) -> Q:
    """Rows with at least one encrypted field not under the active key."""
    q = Q()
    for field, _purpose in fields:
        q |= ~Q(**{f"{field}__startswith": prefix})
    return q


def reencrypt_row(row: models.Model, prefix: str, fields: Fields = FIELDS) -> bool:
    """Re-encrypt the fields of ``row`` that are not under the active key; True if any changed."""
    changed = False
    for field, purpose in fields:
        token = getattr(row, field)
        if token.startswith(prefix):
            continue
        plain = crypto.decrypt(token, purpose=purpose)
        setattr(row, field, crypto.encrypt(plain, purpose=purpose))
        changed = True
    return changed


class Command(BaseCommand):
    help = (
        "Re-encrypt members' and enrolments' ID numbers and phones, and members' birth dates, "
        "under the active PII key."
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
        prefix = _active_prefix()
        counts: dict[str, int] = {}
        for model, fields in MODELS:
            label = model._meta.label_lower
            total = model._default_manager.filter(stale_q(prefix, fields)).count()
            if dry_run:
                self.stdout.write(
                    f"{label}: {total} rows would be re-encrypted under key {active!r}"
                )
                counts[label] = total
                continue
            counts[label] = self._rotate(model, fields, prefix, total, batch_size)
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

    def _rotate(
        self, model: type[models.Model], fields: Fields, prefix: str, total: int, batch_size: int
    ) -> int:
        label = model._meta.label_lower
        done = 0
        last_pk: Any = None
        manager = model._default_manager
        while True:
            with transaction.atomic():
                qs = manager.select_for_update().filter(stale_q(prefix, fields)).order_by("pk")
                if last_pk is not None:
                    qs = qs.filter(pk__gt=last_pk)
                rows = list(qs[:batch_size])
                if not rows:
                    break
                try:
                    changed = [row for row in rows if reencrypt_row(row, prefix, fields)]
                except crypto.DecryptionError as exc:
                    raise CommandError(
                        f"{label}: a token does not decrypt ({exc}); is its key still in GONGHUI_PII_KEYS?"
                    ) from None
                manager.bulk_update(changed, [field for field, _purpose in fields])
            last_pk = rows[-1].pk
            done += len(changed)
            shown = max(total, done)
            pct = 100 * done // shown if shown else 100
            self.stdout.write(f"{label}: {done}/{shown} ({pct}%)")
        return done
