"""The bill a terminal enters: one parser, one maximum, one refusal code (``bill_invalid``), for
the scan payload (whole fen, field ``bill_fen``) and for the POS page's typed yuan (the cashier API
names its own input, ``bill``) alike."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gonghui.core.errors import Refused
from gonghui.core.money import format_fen, parse_yuan

#: The largest bill a terminal may enter: ¥100,000 (above that it is a typing mistake).
MAX_BILL_FEN = 10_000_000
FIELD = "bill_fen"


def _refused(message: str, field: str) -> Refused:
    return Refused(code="bill_invalid", message=message, field=field)


def bill_check(bill_fen: Any, *, field: str = FIELD) -> int:
    """A bill is a whole number of fen, more than zero, at most ¥100,000; a refusal names
    ``field``, the input at fault."""
    if not isinstance(bill_fen, int) or isinstance(bill_fen, bool):
        raise _refused(_("The bill must be a whole number of fen."), field)
    if bill_fen <= 0:
        raise _refused(_("The bill must be more than zero."), field)
    if bill_fen > MAX_BILL_FEN:
        raise _refused(
            _("The bill is more than %(max)s; check the amount.")
            % {"max": format_fen(MAX_BILL_FEN)},
            field,
        )
    return bill_fen


def bill_from_yuan(text: str, *, field: str = FIELD) -> int:
    """The bill typed at the counter ("58", "58.50"), in fen, checked as ``bill_check`` does."""
    try:
        fen = parse_yuan(text or "")
    except ValueError:
        raise _refused(
            _("The bill is an amount in yuan with at most two decimals, e.g. 58 or 58.50."),
            field,
        ) from None
    return bill_check(fen, field=field)
