"""Staff console for merchant benefits: org-scoped through ``ScopedAdmin``, audited.

- Merchants, stores, cashiers (new cashier logins are made here), offers (with stock and the
  budget's spent/left): ``benefits.view`` to see, ``benefits.manage`` to change.
- Redemptions: read-only; "Void" asks for a reason and reverses everything (``benefits.void``).
- Settlements: "New settlement" gathers a merchant's period (``benefits.settle``); each has its
  statement (.xlsx) and "Mark paid", which writes the ledger.
Scope follows the merchant's managing union (``merchant__org``).

One module per mechanism; importing them registers the admins: ``merchants`` (merchants, stores,
cashiers), ``offers``, ``settlements`` (redemptions and settlements)."""

from . import merchants, offers, settlements

__all__ = ["merchants", "offers", "settlements"]
