"""Scan dispatch: one code, many functions.

A context's app registers a handler for its ``context_type`` in its ``AppConfig.ready()``::

    from gonghui.codes import dispatch
    dispatch.register("benefits.store", redeem_at_store, label=_("Store"))

After ``codes`` has verified a code (or a member's phone has submitted a terminal's poster
token), it calls ``handler(terminal=..., member=..., payload=...)`` inside the transaction that
also stores the Idempotency-Key record, and stores what the handler returns (a JSON-able dict).
A handler refuses with ``core.errors.Refused``: its effects are rolled back, the code is not
used up, and the refusal is the stored answer for that key. ``codes`` imports no app above it.

The same app also registers ``resolve(context_id) -> Org | None``: whether a context with that id
exists and in which org it lies. ``codes.services.terminal_create`` / ``terminal_update`` ask it,
so that staff can bind a terminal only to a context in their scope (``codes`` cannot look up
stores or venues itself). And an app whose own staff operate terminals without a union role (a
merchant's cashiers) registers an operator: ``register_operator(name, fn)``, where ``fn(user)``
returns a ``Q`` over ``Terminal`` of the terminals that user may operate
(``codes.selectors.terminals_operable``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q


class ScanHandler(Protocol):
    def __call__(
        self, *, terminal: Any, member: Any, payload: dict[str, Any]
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Registration:
    context_type: str
    handler: Callable[..., dict[str, Any]]
    label: Any  # a lazy translation: shown in the language of each request
    resolve: Callable[[str], Any] | None = None


_REGISTRY: dict[str, Registration] = {}
_OPERATORS: dict[str, Callable[[Any], Q]] = {}


def register(
    context_type: str,
    handler: Callable[..., dict[str, Any]],
    *,
    label: Any = "",
    resolve: Callable[[str], Any] | None = None,
) -> None:
    """Register the scan handler of ``context_type`` (e.g. ``"benefits.store"``); once per type.

    ``resolve(context_id)`` returns the ``Org`` in which the context lies, or None when no such
    context exists (it must accept any string). Without it no staff member can bind a terminal
    to this context type."""
    if not context_type or len(context_type) > 48:
        raise ImproperlyConfigured("context_type is 1 to 48 characters")
    existing = _REGISTRY.get(context_type)
    if existing is not None and existing.handler is not handler:
        raise ImproperlyConfigured(f"a scan handler is already registered for {context_type!r}")
    _REGISTRY[context_type] = Registration(context_type, handler, label or context_type, resolve)


def context_org(context_type: str, context_id: str) -> Any:
    """The org in which the context lies, or None: unknown type, no resolver, or no such id."""
    reg = _REGISTRY.get(context_type)
    if reg is None or reg.resolve is None:
        return None
    return reg.resolve(str(context_id))


def label_of(context_type: str) -> str:
    reg = _REGISTRY.get(context_type)
    return str(reg.label) if reg is not None else context_type


def register_operator(name: str, terminals: Callable[[Any], Q]) -> None:
    """``terminals(user)`` → a ``Q`` over ``Terminal``: the terminals ``user`` may operate by a
    right that is not a union role (e.g. a merchant's cashier: its stores' terminals)."""
    _OPERATORS[name] = terminals


def operator_q(user: Any) -> Q:
    """Terminals ``user`` may operate through the registered operators (empty Q → none)."""
    q = Q(pk__in=[])
    for terminals in _OPERATORS.values():
        q |= terminals(user)
    return q


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


def resolver_by_pk(model: Any, org_field: str) -> Callable[[str], Any]:
    """A resolver for contexts that are rows of ``model`` named by their primary key, lying in
    the org at ``org_field`` (a path such as ``"merchant__org"``)::

        dispatch.register("venues.venue", entry_scan, resolve=resolver_by_pk(Venue, "org"))
    """

    def resolve(context_id: str) -> Any:
        text = str(context_id).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            return None
        row = model.objects.select_related(org_field).filter(pk=int(text)).first()
        if row is None:
            return None
        target = row
        for part in org_field.split("__"):
            target = getattr(target, part)
        return target

    return resolve
