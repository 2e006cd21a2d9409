"""Reads of the terminal page: which terminals a signed-in cashier may operate."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gonghui.benefits.models import Store
from gonghui.codes import selectors as codes_selectors
from gonghui.codes.models import Terminal

STORE_CONTEXT = "benefits.store"


def terminals_for_cashier(user: Any) -> QuerySet[Terminal]:
    """Terminals a signed-in user may operate from the POS page: the code app's one rule
    (``codes.selectors.terminals_operable``): a merchant's cashiers, its stores' terminals;
    union staff with ``pos.operate``, the terminals of their subtrees."""
    return codes_selectors.terminals_operable(user)


def terminal_for_cashier(user: Any, terminal_id: int) -> Terminal:
    """A terminal the user may operate, or NotFound (404): out of reach and absent look alike."""
    return codes_selectors.terminal_operable(user, terminal_id)


def store_of(terminal: Terminal) -> Store | None:
    """The store a terminal stands in, if its context is a store."""
    if terminal.context_type != STORE_CONTEXT or not terminal.context_id.isdigit():
        return None
    return Store.objects.select_related("merchant").filter(pk=int(terminal.context_id)).first()


def places(terminals: list[Terminal]) -> dict[int, str]:
    """terminal id -> "merchant · store" for store terminals (one query)."""
    ids = {
        int(t.context_id)
        for t in terminals
        if t.context_type == STORE_CONTEXT and t.context_id.isdigit()
    }
    stores = {s.pk: str(s) for s in Store.objects.select_related("merchant").filter(pk__in=ids)}
    out: dict[int, str] = {}
    for t in terminals:
        if t.context_type == STORE_CONTEXT and t.context_id.isdigit():
            out[t.pk] = stores.get(int(t.context_id), "")
    return out
