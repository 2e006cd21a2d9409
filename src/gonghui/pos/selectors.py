"""Reads of the terminal page: which terminals a signed-in cashier may operate."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gonghui.benefits.models import Store
from gonghui.benefits.selectors import cashier_stores
from gonghui.codes import selectors as codes_selectors
from gonghui.codes.models import Terminal
from gonghui.core.errors import NotFound

STORE_CONTEXT = "benefits.store"


def cashier_store_ids(user: Any) -> list[int]:
    """Active stores of the active merchants whose staff the user is."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return list(cashier_stores(user).filter(is_active=True).values_list("pk", flat=True))


def terminals_for_cashier(user: Any) -> QuerySet[Terminal]:
    """Terminals a signed-in user may operate from the POS page: those of their union orgs'
    subtrees (staff with a role, the code app's rule) and those of their merchants' stores
    (merchant staff). Posters are scanned by members, not operated, so they are left out."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Terminal.objects.none()
    q = Q(context_type=STORE_CONTEXT, context_id__in=[str(pk) for pk in cashier_store_ids(user)])
    if user.is_staff:
        q |= Q(pk__in=codes_selectors.terminals_for_staff(user).values("pk"))
    return (
        Terminal.objects.select_related("org")
        .filter(q)
        .exclude(kind=Terminal.Kind.SPOT_POSTER)
        .order_by("name", "pk")
    )


def terminal_for_cashier(user: Any, terminal_id: int) -> Terminal:
    """A terminal the user may operate, or NotFound (404): out of reach and absent look alike."""
    terminal = terminals_for_cashier(user).filter(pk=terminal_id).first()
    if terminal is None:
        raise NotFound(field="terminal_id")
    return terminal


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
