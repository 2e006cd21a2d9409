"""Who may use an offer, where and when: the refusal, or None.

No writes; the one read is whether an offer that is not at all stores is at a given store. Used
by the redemption (``services.redeem``) and by the reads (``selectors``)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from gonghui.core.errors import Refused
from gonghui.core.timeutil import SHANGHAI
from gonghui.members.models import Member

from .models import Offer, Store


def offer_at_store(offer: Offer, store: Store) -> bool:
    if offer.merchant_id != store.merchant_id:
        return False
    return offer.all_stores or offer.stores.filter(pk=store.pk).exists()


def offer_refusal(
    *, offer: Offer, member: Member, at: dt.datetime, store: Store | None = None
) -> Refused | None:
    """Why ``member`` may not use ``offer`` at ``at`` (and at ``store``), or None."""
    if not offer.is_active or (store is not None and not offer_at_store(offer, store)):
        return Refused(
            code="offer_not_found",
            message=_("This offer is not available at this store."),
            field="offer_id",
            status=404,
        )
    if member.status != Member.Status.ACTIVE:
        return Refused(
            code="not_eligible",
            message=_("Only active members can use union offers."),
            status=403,
        )
    org_path = offer.org.path
    if not member.org.path.startswith(org_path):
        return Refused(
            code="not_eligible",
            message=_("This offer is for members of %(org)s.") % {"org": offer.org.name},
            status=403,
        )
    if offer.gig_only and not member.is_gig_worker:
        return Refused(
            code="not_eligible", message=_("This offer is for gig workers only."), status=403
        )
    if (offer.valid_from and at < offer.valid_from) or (
        offer.valid_until and at >= offer.valid_until
    ):
        return Refused(
            code="outside_window", message=_("This offer is not running now."), status=409
        )
    local = at.astimezone(SHANGHAI)
    if str(local.isoweekday()) not in (offer.weekdays or "1234567"):
        return Refused(
            code="outside_window",
            message=_("This offer does not apply on this day of the week."),
            status=409,
        )
    t_from, t_until = offer.time_from, offer.time_until
    if t_from is not None or t_until is not None:
        current = local.time().replace(tzinfo=None)
        start = t_from or dt.time(0, 0)
        end = t_until or dt.time(23, 59, 59, 999999)
        inside = start <= current < end if start <= end else (current >= start or current < end)
        if not inside:
            return Refused(
                code="outside_window",
                message=_("This offer applies from %(start)s to %(end)s.")
                % {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")},
                status=409,
            )
    return None
