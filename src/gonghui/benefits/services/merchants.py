"""Merchants and offers written from the console: a merchant with its payable, an offer's stock."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused

from ..models import Merchant, Offer, Redemption
from .common import payable_account


@transaction.atomic
def merchant_create(
    *,
    org: Any,
    name: str,
    uscc: str,
    actor: Any = None,
    contact_name: str = "",
    contact_phone: str = "",
    settlement_account: str = "",
) -> Merchant:
    """A merchant with its payable account opened."""
    from gonghui.core.identifiers import InvalidIdentifier, validate_uscc

    try:
        clean = validate_uscc(uscc)
    except InvalidIdentifier:
        raise Refused(
            code="uscc_invalid",
            message=_("Not a valid unified social credit code."),
            field="uscc",
        ) from None
    if not (name or "").strip():
        raise Refused(code="required", message=_("A merchant needs a name."), field="name")
    if Merchant.objects.filter(uscc=clean).exists():
        raise Refused(
            code="uscc_taken", message=_("A merchant with this code exists."), field="uscc"
        )
    merchant = Merchant.objects.create(
        org=org,
        name=name.strip()[:120],
        uscc=clean,
        contact_name=contact_name,
        contact_phone=contact_phone,
        settlement_account=settlement_account,
    )
    payable_account(merchant)
    if is_staff_actor(actor):
        audit_record(actor=actor, action="benefits.merchant.create", obj=merchant, org=org)
    return merchant


def offer_stock_init(offer: Offer) -> None:
    """Set ``stock_left`` when an offer is created (or its total stock is first set)."""
    if offer.stock_total is None:
        Offer.objects.filter(pk=offer.pk).update(stock_left=None)
    elif offer.stock_left is None:
        Offer.objects.filter(pk=offer.pk).update(stock_left=offer.stock_total)


@transaction.atomic
def offer_stock_set(*, offer: Offer, stock_total: int | None, actor: Any) -> Offer:
    """Change an offer's total stock under a row lock; what is left moves by the same amount,
    and the total may not go below what has been used."""
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if stock_total is None:
        locked.stock_total, locked.stock_left = None, None
    else:
        used = (
            locked.redemptions.filter(status=Redemption.Status.ACTIVE).count()
            if locked.stock_total is None
            else locked.stock_total - (locked.stock_left or 0)
        )
        if stock_total < used:
            raise Refused(
                code="stock_below_used",
                message=_("The stock may not be less than what is used (%(n)d).") % {"n": used},
                field="stock_total",
            )
        locked.stock_total, locked.stock_left = stock_total, stock_total - used
    locked.save(update_fields=["stock_total", "stock_left"])
    if is_staff_actor(actor):
        audit_record(
            actor=actor,
            action="benefits.offer.stock",
            obj=locked,
            org=locked.merchant.org,
            data={"stock_total": stock_total},
        )
    return locked
