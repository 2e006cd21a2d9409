"""Names of the ledger transaction kinds (``allocation``, ``<app>.<what>``).

Apps register the kinds they post in ``ready()``; the console shows the label, never the code."""

from __future__ import annotations

from typing import Any

_LABELS: dict[str, Any] = {}


def register(kind: str, label: Any) -> None:
    """Register the (lazily translated) label of a ledger transaction kind."""
    _LABELS[kind] = label


def label_for(kind: str) -> Any:
    return _LABELS.get(kind, kind)


def registered() -> dict[str, Any]:
    return dict(_LABELS)
