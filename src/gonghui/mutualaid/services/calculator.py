"""The reimbursement calculator: a pure function that explains every line.

Rules (docs/mutualaid.md):
- the deductible (起付线) applies to each claim: nothing below it is paid;
- the eligible amount above the deductible is split by the category's ratio bands: the part
  between the previous band's ``up_to_fen`` (or the deductible, whichever is higher) and this
  band's ``up_to_fen`` is paid at ``ratio_bp``; the last band may be open-ended (``None``); an
  amount above the last closed band is not paid;
- each band's part is rounded half up once (``core.money.percent_of``);
- the yearly cap per member is ``annual_cap_fen × shares``; the payout is at most what the cap
  leaves after what was already paid (approved or paid) this year in the category.

So the payout is never negative, never above the bill, never above what the cap leaves, and
never falls when the bill rises. The explanation is a list of ``Line(code, params)``; amounts
stay integer fen in ``params`` and become text only in ``explain()`` (translatable).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from gonghui.core.money import format_fen, percent_of

from ..models import CategoryKind


@dataclass(frozen=True)
class Band:
    up_to_fen: int | None
    ratio_bp: int


@dataclass(frozen=True)
class Rule:
    category: str  # the category's own name, or "" to show its kind in the reader's language
    deductible_fen: int
    annual_cap_fen: int  # per share
    bands: tuple[Band, ...]
    kind: str = ""  # CategoryKind value


@dataclass(frozen=True)
class Line:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Calculation:
    payout_fen: int
    by_bands_fen: int
    cap_left_fen: int
    lines: tuple[Line, ...]

    def explanation(self) -> list[dict[str, Any]]:
        return [line.as_dict() for line in self.lines]


def _sorted_bands(bands: tuple[Band, ...]) -> list[Band]:
    closed = sorted((b for b in bands if b.up_to_fen is not None), key=lambda b: b.up_to_fen or 0)
    open_ended = [b for b in bands if b.up_to_fen is None]
    if len(open_ended) > 1:
        raise ValueError("at most one open-ended band")
    return closed + open_ended


def calculate(
    *, rule: Rule, bill_fen: int, paid_this_year_fen: int = 0, shares: int = 1
) -> Calculation:
    """The payout of one claim of ``bill_fen`` (eligible amount) under ``rule``."""
    for name, value in (
        ("bill_fen", bill_fen),
        ("paid_this_year_fen", paid_this_year_fen),
        ("deductible_fen", rule.deductible_fen),
        ("annual_cap_fen", rule.annual_cap_fen),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer")
    if not isinstance(shares, int) or shares < 1:
        raise ValueError("shares must be at least 1")
    for band in rule.bands:
        if not 0 <= band.ratio_bp <= 10000:
            raise ValueError("a ratio is 0 to 10000 basis points")
        if band.up_to_fen is not None and band.up_to_fen <= 0:
            raise ValueError("a band's upper bound must be positive")

    cap_total = rule.annual_cap_fen * shares
    lines: list[Line] = [
        Line(
            "rule",
            {
                "category": rule.category,
                "kind": rule.kind,
                "deductible": rule.deductible_fen,
                "cap": rule.annual_cap_fen,
                "shares": shares,
                "cap_total": cap_total,
            },
        ),
        Line("bill", {"bill": bill_fen}),
    ]

    by_bands = 0
    if bill_fen <= rule.deductible_fen:
        lines.append(
            Line("below_deductible", {"bill": bill_fen, "deductible": rule.deductible_fen})
        )
    else:
        lines.append(
            Line(
                "deductible",
                {"deductible": rule.deductible_fen, "above": bill_fen - rule.deductible_fen},
            )
        )
        lower = rule.deductible_fen
        reached = rule.deductible_fen
        for band in _sorted_bands(rule.bands):
            upper_bound = band.up_to_fen
            if upper_bound is not None and upper_bound <= lower:
                continue  # a band that lies wholly under the deductible or an earlier band
            upper = bill_fen if upper_bound is None else min(upper_bound, bill_fen)
            if upper <= lower:
                break
            part = upper - lower
            pay = percent_of(part, band.ratio_bp)
            by_bands += pay
            lines.append(
                Line(
                    "band",
                    {
                        "from": lower,
                        "to": upper,
                        "up_to": upper_bound,
                        "part": part,
                        "ratio_bp": band.ratio_bp,
                        "pay": pay,
                    },
                )
            )
            lower = reached = upper
            if upper_bound is None or upper >= bill_fen:
                break
        if reached < bill_fen:
            lines.append(Line("beyond_bands", {"from": reached, "part": bill_fen - reached}))
        lines.append(Line("by_bands", {"amount": by_bands}))

    cap_left = max(0, cap_total - paid_this_year_fen)
    lines.append(
        Line("cap", {"cap_total": cap_total, "paid": paid_this_year_fen, "left": cap_left})
    )
    payout = min(by_bands, cap_left)
    if payout < by_bands:
        lines.append(Line("capped", {"amount": by_bands, "left": cap_left}))
    lines.append(Line("result", {"payout": payout}))
    return Calculation(
        payout_fen=payout, by_bands_fen=by_bands, cap_left_fen=cap_left, lines=tuple(lines)
    )


# --- explanation text --------------------------------------------------------------------------

_MESSAGES: dict[str, Any] = {
    "rule": _(
        "Rule: %(category)s; deductible %(deductible)s per claim; yearly cap %(cap)s per share "
        "× %(shares)s share(s) = %(cap_total)s."
    ),
    "bill": _("Eligible amount on the invoice: %(bill)s."),
    "below_deductible": _(
        "The eligible amount %(bill)s does not exceed the deductible %(deductible)s: nothing "
        "is payable."
    ),
    "deductible": _("Deductible %(deductible)s applied; %(above)s is above it."),
    "band": _("Band %(from)s to %(to)s: %(part)s at %(ratio)s = %(pay)s."),
    "beyond_bands": _("%(part)s above %(from)s is beyond the last band and is not paid."),
    "by_bands": _("By the bands: %(amount)s."),
    "cap": _("Yearly cap %(cap_total)s; already paid this year %(paid)s; the cap leaves %(left)s."),
    "capped": _("%(amount)s is limited to what the cap leaves: %(left)s."),
    "result": _("Payout: %(payout)s."),
}
_AMOUNT_KEYS = {
    "deductible",
    "cap",
    "cap_total",
    "bill",
    "above",
    "from",
    "to",
    "part",
    "pay",
    "amount",
    "paid",
    "left",
    "payout",
}


def format_ratio(ratio_bp: int) -> str:
    whole, rest = divmod(ratio_bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def explain(lines: list[dict[str, Any]] | tuple[Line, ...]) -> list[str]:
    """The explanation as sentences in the active language."""
    out: list[str] = []
    for raw in lines:
        line = raw.as_dict() if isinstance(raw, Line) else raw
        template = _MESSAGES.get(str(line.get("code")))
        if template is None:
            continue
        params: dict[str, Any] = {}
        for key, value in dict(line.get("params") or {}).items():
            if key in _AMOUNT_KEYS and isinstance(value, int) and not isinstance(value, bool):
                params[key] = format_fen(value)
            else:
                params[key] = value
        if line.get("code") == "rule" and not params.get("category"):
            kind = str(params.get("kind") or "")
            params["category"] = CategoryKind(kind).label if kind in CategoryKind.values else kind
        if "ratio_bp" in params:
            params["ratio"] = format_ratio(int(params["ratio_bp"]))
        out.append(str(template) % params)
    return out
