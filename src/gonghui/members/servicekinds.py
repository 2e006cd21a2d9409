"""Names of the service-event kinds (``<app>.<what>``) that apps register in ``ready()``.

The member's history and the dashboard show these labels; members imports none of the apps."""

from __future__ import annotations

from typing import Any

_LABELS: dict[str, Any] = {}


def register(kind: str, label: Any) -> None:
    """Register the (lazily translated) label of a service-event kind."""
    if "." not in kind:
        raise ValueError("a service-event kind is '<app>.<what>'")
    _LABELS[kind] = label


def label_for(kind: str) -> Any:
    return _LABELS.get(kind, kind)


def registered() -> dict[str, Any]:
    return dict(_LABELS)
