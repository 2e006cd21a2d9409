"""What every funds write checks: amounts, (type, id) references, times, one federation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core.errors import Refused
from gonghui.core.timeutil import now

from ..models import FundAccount

#: The largest amount one entry or one budget may carry: 100 billion yuan.
MAX_AMOUNT_FEN = 10**13
#: The most entries one transaction may have.
MAX_ENTRIES = 500

KIND_ALLOCATION = "allocation"
KIND_REVERSAL = "reversal"

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")

Source = tuple[str, Any]
Entries = Sequence[tuple[FundAccount, int]]


def _check_amount(amount_fen: Any, *, field: str = "amount_fen", positive: bool = True) -> int:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise Refused(
            code="invalid_amount",
            message=_("An amount must be a whole number of fen."),
            field=field,
        )
    if positive and amount_fen <= 0:
        raise Refused(
            code="invalid_amount", message=_("The amount must be more than zero."), field=field
        )
    if amount_fen == 0:
        raise Refused(code="zero_entry", message=_("A ledger entry cannot be zero."), field=field)
    if abs(amount_fen) > MAX_AMOUNT_FEN:
        raise Refused(code="amount_too_large", message=_("The amount is too large."), field=field)
    return amount_fen


def _clean_ref(ref: Source | None, *, field: str) -> tuple[str, str]:
    """A (type, id) reference as two non-empty strings of at most 64 characters, or ("", "")."""
    if ref is None:
        return "", ""
    try:
        ref_type, ref_id = ref
    except (TypeError, ValueError):
        raise Refused(
            code="invalid_reference", message=_("A reference is a (type, id) pair."), field=field
        ) from None
    ref_type, ref_id = str(ref_type).strip(), str(ref_id).strip()
    if not ref_type or not ref_id or len(ref_type) > 64 or len(ref_id) > 64:
        raise Refused(
            code="invalid_reference",
            message=_("A reference needs a type and an id of at most 64 characters each."),
            field=field,
        )
    return ref_type, ref_id


def _check_occurred_at(occurred_at: dt.datetime | None) -> dt.datetime:
    if occurred_at is None:
        return now()
    if timezone.is_naive(occurred_at):
        raise Refused(
            code="naive_time", message=_("The time must carry a time zone."), field="occurred_at"
        )
    return occurred_at
