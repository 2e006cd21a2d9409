"""The benefits app's scan handler: a ``benefits.store`` terminal's scan is a redemption.

Registered with the code app's dispatch in ``apps.py``; the payload is ``{"bill_fen": int,
"offer_id": optional int, "choose": optional bool}`` and the answer is the receipt
(docs/benefits.md).

``choose``: the terminal lets the cashier choose. Without an ``offer_id``, when more than one
offer applies the handler redeems nothing and refuses with ``offer_choice`` (409), the options
best first in ``data`` (``services.redemption_options``); the refusal rolls the code's use back,
so the terminal sends the same code again with the chosen ``offer_id``, which the redemption
checks again like any other (never trusted)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gonghui.codes.models import Terminal
from gonghui.core.errors import Refused
from gonghui.core.identifiers import masked_name
from gonghui.members.models import Member

from .bill import FIELD
from .choice import Candidate
from .models import Redemption
from .selectors import remaining_for
from .services import redemption_options, redemption_redeem


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
    offer_id = payload.get("offer_id")
    if payload.get("choose") is True and offer_id is None:
        options = redemption_options(
            terminal=terminal, member=member, bill_fen=payload.get("bill_fen")
        )
        if len(options) > 1:
            raise _choice(options)
    result = redemption_redeem(
        terminal=terminal,
        member=member,
        bill_fen=payload.get("bill_fen"),
        offer_id=offer_id,
    )
    return receipt(result.redemption, result.remaining)


def _choice(options: list[tuple[Candidate, dict[str, Any]]]) -> Refused:
    """The ``offer_choice`` answer: the options, best first, the best one named."""
    return Refused(
        code="offer_choice",
        message=_("Several offers apply to this member: choose one."),
        status=409,
        data={
            "best_id": options[0][0].offer.pk,
            "offers": [
                {
                    "id": c.offer.pk,
                    "title": c.offer.title,
                    "kind": c.offer.kind,
                    "discount_fen": c.quote.discount_fen,
                    "subsidy_fen": c.quote.subsidy_fen,
                    "pay_fen": c.quote.pay_fen,
                    "valid_until": c.offer.valid_until.isoformat() if c.offer.valid_until else None,
                    "remaining": left,
                }
                for c, left in options
            ],
        },
    )
