"""Scan dispatch: one code, many functions.

A context's app registers a handler for its ``context_type`` in its ``AppConfig.ready()``::

    from gonghui.codes import dispatch
    dispatch.register("benefits.store", redeem_at_store, label=_("Store"))

After ``codes`` has verified a code (or a member's phone has submitted a terminal's poster
token), it calls ``handler(terminal=..., member=..., payload=...)`` inside the transaction that
also stores the Idempotency-Key record, and stores what the handler returns (a JSON-able dict).
A handler refuses with ``core.errors.Refused``: its effects are rolled back, the code is not
used up, and the refusal is the stored answer for that key. ``codes`` imports no app above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class ScanHandler(Protocol):
    def __call__(
        self, *, terminal: Any, member: Any, payload: dict[str, Any]
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Registration:
    context_type: str
    handler: Callable[..., dict[str, Any]]
    label: str


_REGISTRY: dict[str, Registration] = {}


def register(context_type: str, handler: Callable[..., dict[str, Any]], *, label: str = "") -> None:
    """Register the scan handler of ``context_type`` (e.g. ``"benefits.store"``); once per type."""
    if not context_type or len(context_type) > 48:
        raise ImproperlyConfigured("context_type is 1 to 48 characters")
    existing = _REGISTRY.get(context_type)
    if existing is not None and existing.handler is not handler:
        raise ImproperlyConfigured(f"a scan handler is already registered for {context_type!r}")
    _REGISTRY[context_type] = Registration(context_type, handler, str(label or context_type))


def unregister(context_type: str) -> None:
    """For tests."""
    _REGISTRY.pop(context_type, None)


def handler_for(context_type: str) -> Callable[..., dict[str, Any]] | None:
    reg = _REGISTRY.get(context_type)
    return reg.handler if reg is not None else None


def registered() -> list[Registration]:
    return sorted(_REGISTRY.values(), key=lambda r: r.context_type)


def scan(
    *, terminal: Any, code: str, payload: dict[str, Any], idempotency_key: str, now: Any = None
) -> Any:
    """Verify ``code`` at ``terminal`` and hand the member to the context's handler.

    Returns a ``services.ScanResult`` (status, body, replayed); see ``services.scan_code``."""
    from .services import scan_code

    return scan_code(
        terminal=terminal, code=code, payload=payload, idempotency_key=idempotency_key, now=now
    )
