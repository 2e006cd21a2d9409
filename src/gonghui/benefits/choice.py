"""Which of a store's offers apply to a member for a bill, best first: one rule for the
redemption that chooses by itself and for the list a cashier chooses from.

"Best for the member" is the largest discount on the entered bill (what the member saves,
whoever pays it: the union's subsidy or the merchant's own discount); on a tie, the offer that
ends soonest (one without an end date last); then the oldest offer. No writes; no queries beyond
what the offers already carry (``offer_refusal`` is called without a store: the caller's offers
are those of the store already)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from gonghui.core.errors import Refused
from gonghui.members.models import Member

from .eligibility import offer_refusal
from .models import Offer
from .pricing import Quote, offer_quote

#: Sorts after every real end date (an offer without one ends last).
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Candidate:
    offer: Offer
    quote: Quote


def best_first_key(candidate: Candidate) -> tuple[int, dt.datetime, int]:
    """Largest discount, then ending soonest, then the oldest offer."""
    return (
        -candidate.quote.discount_fen,
        candidate.offer.valid_until or _NEVER,
        candidate.offer.pk,
    )


def offer_candidates(
    *, offers: list[Offer], member: Member, bill_fen: int, at: dt.datetime
) -> tuple[list[Candidate], Refused | None]:
    """The offers ``member`` may use now that take something off ``bill_fen``, best first, and
    the first refusal met (what to answer when none applies)."""
    candidates: list[Candidate] = []
    first_refusal: Refused | None = None
    for offer in offers:
        refusal = offer_refusal(offer=offer, member=member, at=at)
        if refusal is None:
            quote = offer_quote(offer=offer, member=member, bill_fen=bill_fen, at=at)
            if quote.discount_fen > 0:
                candidates.append(Candidate(offer=offer, quote=quote))
                continue
            refusal = Refused(
                code="below_threshold",
                message=_("The bill is too small for this offer: %(why)s.")
                % {"why": quote.explanation},
                field="bill_fen",
                status=409,
            )
        first_refusal = first_refusal or refusal
    candidates.sort(key=best_first_key)
    return candidates, first_refusal
