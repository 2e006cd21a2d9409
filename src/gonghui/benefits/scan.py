"""The benefits app's scan handler: a ``benefits.store`` terminal's scan is a redemption.

Registered with the code app's dispatch in ``apps.py``; the payload is ``{"bill_fen": int,
"offer_id": optional int}`` and the answer is the receipt (docs/benefits.md)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gonghui.codes.models import Terminal
from gonghui.core.errors import Refused
from gonghui.core.identifiers import masked_name
from gonghui.members.models import Member

from .bill import FIELD
from .models import Redemption
from .selectors import remaining_for
from .services import redemption_redeem


def receipt(redemption: Redemption, remaining: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the terminal shows: the redemption, the member masked, what is left (``remaining``
    as the redemption counted it, or read now)."""
    offer, member = redemption.offer, redemption.member
    return {
        "redemption_id": redemption.pk,
        "offer": {"id": offer.pk, "title": offer.title, "kind": offer.kind},
        "store": {"id": redemption.store_id, "name": redemption.store.name},
        "bill_fen": redemption.bill_fen,
        "discount_fen": redemption.discount_fen,
        "pay_fen": redemption.pay_fen,
        "subsidy_fen": redemption.subsidy_fen,
        "status": str(redemption.status),
        "created_at": redemption.created_at.isoformat(),
        "member": {"name": masked_name(member.name), "member_no": member.member_no},
        "remaining": remaining
        if remaining is not None
        else remaining_for(offer=offer, member=member, day=redemption.local_date),
    }


def scan_handler(*, terminal: Terminal, member: Member, payload: dict[str, Any]) -> dict[str, Any]:
    """``benefits.store`` scans: payload {"bill_fen": int, "offer_id": optional int}."""
    if not isinstance(payload, dict) or "bill_fen" not in payload:
        raise Refused(code="bill_invalid", message=_("Enter the bill amount."), field=FIELD)
    result = redemption_redeem(
        terminal=terminal,
        member=member,
        bill_fen=payload.get("bill_fen"),
        offer_id=payload.get("offer_id"),
    )
    return receipt(result.redemption, result.remaining)
