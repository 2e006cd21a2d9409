"""``gonghui rotate-totp-key``: re-encrypt staff TOTP secrets under the active PII key.

Run it with ``gonghui rotate-pii-key`` after putting a new key first in ``GONGHUI_PII_KEYS``;
when both report 0 rows left, the old key can be removed. A second run changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gonghui.core import crypto
from gonghui.staffauth.services import totp_secrets_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt staff members' TOTP secrets under the active PII key."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            changed = totp_secrets_reencrypt()
        except crypto.DecryptionError as exc:
            raise CommandError(
                f"a TOTP secret does not decrypt ({exc}); is its key still in GONGHUI_PII_KEYS?"
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"staff TOTP secrets re-encrypted under key {crypto.active_key_id()!r}: {changed}"
            )
        )
