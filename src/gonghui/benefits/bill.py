"""The bill a terminal enters: one parser, one maximum, one refusal (``bill_invalid``, field
``bill_fen``), for the scan payload (whole fen) and for the POS page's typed yuan alike."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gonghui.core.errors import Refused
from gonghui.core.money import format_fen, parse_yuan

#: The largest bill a terminal may enter: ¥100,000 (above that it is a typing mistake).
MAX_BILL_FEN = 10_000_000
FIELD = "bill_fen"


def _refused(message: str) -> Refused:
    return Refused(code="bill_invalid", message=message, field=FIELD)


def bill_check(bill_fen: Any) -> int:
    """A bill is a whole number of fen, more than zero, at most ¥100,000."""
    if not isinstance(bill_fen, int) or isinstance(bill_fen, bool):
        raise _refused(_("The bill must be a whole number of fen."))
    if bill_fen <= 0:
        raise _refused(_("The bill must be more than zero."))
    if bill_fen > MAX_BILL_FEN:
        raise _refused(
            _("The bill is more than %(max)s; check the amount.")
            % {"max": format_fen(MAX_BILL_FEN)}
        )
    return bill_fen


def bill_from_yuan(text: str) -> int:
    """The bill typed at the counter ("58", "58.50"), in fen, checked as ``bill_check`` does."""
    try:
        fen = parse_yuan(text or "")
    except ValueError:
        raise _refused(
            _("The bill is an amount in yuan with at most two decimals, e.g. 58 or 58.50.")
        ) from None
    return bill_check(fen)
