"""Money is integer fen. Format only at the edges.

Rounding rule (decided once, see docs/ledger.md): when a percentage of an amount is taken,
the result is rounded half up to a whole fen.
"""

from __future__ import annotations


def format_fen(amount_fen: int, *, symbol: str = "¥") -> str:
    """format_fen(12345) == '¥123.45'; negative amounts keep their sign in front."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise TypeError("amount_fen must be int")
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    return f"{sign}{symbol}{yuan:,}.{fen:02d}"


def parse_yuan(text: str) -> int:
    """Parse '123.45' or '123' (yuan) into fen; at most two decimals; raises ValueError."""
    s = text.strip().replace(",", "").replace("¥", "").replace("￥", "")
    if not s or s.startswith("+"):
        raise ValueError("empty or signed amount")
    negative = s.startswith("-")
    if negative:
        s = s[1:]
    whole, _, frac = s.partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise ValueError("not an amount")
    fen = int(whole) * 100 + int((frac + "00")[:2] or 0)
    return -fen if negative else fen


def percent_of(amount_fen: int, basis_points: int) -> int:
    """basis_points/10000 of amount_fen, rounded half up (amount_fen >= 0, basis_points >= 0)."""
    if amount_fen < 0 or basis_points < 0:
        raise ValueError("amount and rate must not be negative")
    return (amount_fen * basis_points + 5000) // 10000
