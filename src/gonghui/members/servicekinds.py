"""The service-event kinds (``<app>.<what>``) and their counting rules, registered in ``ready()``.

Each app registers every kind it writes: its label (the member's history and the dashboard show
it), whether one event of it is one person-time served (人次), what its ``amount_fen`` means
(:class:`Amount`), and the kind of the compensating event that cancels it. A compensating kind
is registered too, with ``compensates=`` the kind it cancels; it never counts, and its amount is
the negative of what it cancels (docs/figures.md has the table and the rules).

members imports none of the apps; the service apps and the dashboard read this registry.
``members.services.service_event_record`` refuses a kind that is not registered, and
:func:`problems` (a system check) refuses an inconsistent registry."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

KIND_MAX_LENGTH = 48  # ServiceEvent.kind


class Amount(enum.StrEnum):
    """What an event's ``amount_fen`` means."""

    NONE = "none"  # always 0
    SPENT = "spent"  # union money spent on the member (subsidy, grant, payout)
    RECOVERED = "recovered"  # money recovered for the worker (wages, compensation)

    @property
    def label(self) -> Any:
        return AMOUNT_LABELS[self]


AMOUNT_LABELS = {
    Amount.NONE: _("none"),
    Amount.SPENT: _("union money spent"),
    Amount.RECOVERED: _("money recovered for the worker"),
}


@dataclass(frozen=True)
class ServiceKind:
    kind: str
    label: Any
    counts: bool  # one event is one person-time (人次)
    amount: Amount
    cancelled_by: str | None  # the compensating kind that cancels an event of this kind
    compensates: str | None  # for a compensating kind: the kind it cancels

    @property
    def is_compensation(self) -> bool:
        return self.compensates is not None


_KINDS: dict[str, ServiceKind] = {}


def register(
    kind: str,
    label: Any,
    *,
    counts: bool,
    amount: Amount = Amount.NONE,
    cancelled_by: str | None = None,
    compensates: str | None = None,
) -> None:
    """Register a service-event kind with its counting rule (see the module docstring).

    A compensating kind passes ``compensates=`` (and ``counts=False``); the kind it cancels
    passes ``cancelled_by=`` the compensating kind. :func:`problems` checks the pairs."""
    if "." not in kind or len(kind) > KIND_MAX_LENGTH:
        raise ValueError(f"a service-event kind is '<app>.<what>', at most {KIND_MAX_LENGTH}")
    _KINDS[kind] = ServiceKind(
        kind=kind,
        label=label,
        counts=counts,
        amount=Amount(amount),
        cancelled_by=cancelled_by,
        compensates=compensates,
    )


def label_for(kind: str) -> Any:
    spec = _KINDS.get(kind)
    return spec.label if spec is not None else kind


def registered() -> dict[str, Any]:
    """Kind → label, for every registered kind."""
    return {k: s.label for k, s in _KINDS.items()}


def spec(kind: str) -> ServiceKind:
    """The rule of ``kind``; ``LookupError`` when no app registered it."""
    try:
        return _KINDS[kind]
    except KeyError:
        raise LookupError(
            f"service-event kind {kind!r} is not registered (members.servicekinds.register "
            "in the writing app's ready())"
        ) from None


def specs() -> list[ServiceKind]:
    """Every registered kind, sorted by kind."""
    return [_KINDS[k] for k in sorted(_KINDS)]


def counting_kinds() -> list[str]:
    return [s.kind for s in specs() if s.counts]


def cancellations() -> dict[str, str]:
    """Kind → the compensating kind that cancels it, for every kind that can be cancelled."""
    return {s.kind: s.cancelled_by for s in specs() if s.cancelled_by}


def amount_check(kind: str, amount_fen: int) -> None:
    """Refuse an amount that contradicts the kind's rule (a programming error, not a refusal)."""
    rule = spec(kind)
    if rule.amount == Amount.NONE and amount_fen != 0:
        raise ValueError(f"{kind} carries no amount, got {amount_fen}")
    if rule.is_compensation and amount_fen > 0:
        raise ValueError(f"{kind} compensates: its amount is not positive, got {amount_fen}")
    if not rule.is_compensation and amount_fen < 0:
        raise ValueError(f"{kind}: a negative amount is written as a compensating kind")


def problems() -> list[str]:
    """What is inconsistent in the registry (empty when all is well)."""
    out: list[str] = []
    for s in specs():
        if s.cancelled_by is not None:
            other = _KINDS.get(s.cancelled_by)
            if other is None:
                out.append(f"{s.kind}: cancelled_by {s.cancelled_by} is not registered")
            elif other.compensates != s.kind:
                out.append(f"{s.kind}: {s.cancelled_by} does not say compensates={s.kind}")
        if s.compensates is not None:
            original = _KINDS.get(s.compensates)
            if s.counts:
                out.append(f"{s.kind}: a compensating kind never counts")
            if s.cancelled_by is not None:
                out.append(f"{s.kind}: a compensating kind is not cancelled itself")
            if original is None:
                out.append(f"{s.kind}: compensates {s.compensates}, which is not registered")
            else:
                if original.cancelled_by != s.kind:
                    out.append(f"{s.kind}: {s.compensates} does not say cancelled_by={s.kind}")
                if original.amount != s.amount:
                    out.append(f"{s.kind}: its amount means {s.amount}, {s.compensates}'s not")
    return out


def system_check(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Django system check (``gonghui check`` and every management command) over the registry."""
    from django.core import checks

    return [checks.Error(p, id="members.E101") for p in problems()]
