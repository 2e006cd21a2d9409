"""The one check of an ``Idempotency-Key`` header, for every write that may be retried.

A key is 1 to 64 ASCII letters, digits, ``-``, ``_``, ``.`` or ``:`` (a UUID, a ULID, or
``<device>:<counter>`` all fit), surrounding spaces removed. A missing or blank key and a
malformed one are refused with a field error on ``Idempotency-Key``. What a key is bound to
(the scan's request hash, the void's redemption) is the caller's business: this only says
whether the header is usable.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .errors import Refused

MAX_IDEMPOTENCY_KEY = 64
KEY_CHARACTERS = "-_.:"
FIELD = "Idempotency-Key"


def idempotency_key_check(value: str | None) -> str:
    """The key of the header, stripped, or ``Refused`` (``idempotency_key_required`` when it is
    missing or blank, ``idempotency_key_invalid`` when it is too long or has other characters)."""
    key = (value or "").strip()
    if not key:
        raise Refused(
            code="idempotency_key_required",
            message=_("Every terminal write needs an Idempotency-Key header."),
            field=FIELD,
        )
    if len(key) > MAX_IDEMPOTENCY_KEY or not all(
        c.isascii() and (c.isalnum() or c in KEY_CHARACTERS) for c in key
    ):
        raise Refused(
            code="idempotency_key_invalid",
            message=_("An Idempotency-Key is 1 to 64 letters, digits, '-', '_', '.' or ':'."),
            field=FIELD,
        )
    return key
