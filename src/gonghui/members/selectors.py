"""Reads on members, enrolments and unions. Staff reads go through ``orgs.scoping``."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from gonghui.core.identifiers import (
    InvalidIdentifier,
    normalize_member_no,
    normalize_phone,
    parse_id_number,
)
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.scoping import scope

from . import pii, servicekinds
from .models import Enrolment, GigTrade, Member, MemberActivity, ServiceEvent, TransferRequest

MAX_LIMIT = 100

# A gig worker's trade → the trade of the industry federation that gathers it.
GIG_TRADE_TO_ORG_TRADE: dict[str, str] = {
    GigTrade.RIDER: Org.Trade.DELIVERY,
    GigTrade.COURIER: Org.Trade.EXPRESS,
    GigTrade.TRUCK_DRIVER: Org.Trade.FREIGHT,
    GigTrade.RIDE_HAILING: Org.Trade.RIDE_HAILING,
    GigTrade.CARE_WORKER: Org.Trade.CARE,
}


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


def union_search(
    *, q: str = "", kind: str | None = None, trade: str | None = None, limit: int = 20
) -> list[Org]:
    """Active unions that take members, for the enrolment form.

    ``q`` matches the union's name, or the name of an enterprise the union covers. ``trade`` (an
    ``Org.Trade`` value, or a ``GigTrade`` value mapped to it) finds industry federations for gig
    workers. ``kind`` narrows to ``grassroots`` or ``industry``."""
    qs = Org.objects.filter(is_active=True, kind__in=[Org.Kind.GRASSROOTS, Org.Kind.INDUSTRY])
    if kind:
        qs = qs.filter(kind=kind)
    if trade:
        org_trade = GIG_TRADE_TO_ORG_TRADE.get(trade, trade)
        qs = qs.filter(kind=Org.Kind.INDUSTRY, trade=org_trade)
    q = (q or "").strip()
    if not q:
        return list(qs.order_by("kind", "name", "pk")[: _limit(limit)])
    covering = Enterprise.objects.filter(name__icontains=q).values("union_id")
    qs = qs.filter(Q(name__icontains=q) | Q(pk__in=covering)).annotate(
        _rank=Case(
            When(name__icontains=q, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )
    return list(qs.order_by("_rank", "kind", "name", "pk")[: _limit(limit)])


def enterprise_search(*, q: str, limit: int = 20) -> list[Enterprise]:
    """Enterprises by name (contains) or exact USCC, whose union is active."""
    q = (q or "").strip()
    if not q:
        return []
    qs = Enterprise.objects.filter(union__is_active=True).select_related("union")
    qs = qs.filter(Q(name__icontains=q) | Q(uscc=q.upper().replace(" ", "")))
    return list(qs.order_by("name", "pk")[: _limit(limit)])


def member_service_history(*, member: Member, limit: int = 50) -> list[ServiceEvent]:
    """The member's own service events, newest first."""
    return list(
        ServiceEvent.objects.filter(member=member)
        .select_related("org")
        .order_by("-occurred_at", "-pk")[: _limit(limit)]
    )


def enrolment_queue(*, user: Any, status: str | None = None) -> QuerySet[Enrolment]:
    """Applications the reviewer may decide: in scope of ``members.review``; pending first, then
    oldest first."""
    qs = scope(
        Enrolment.objects.select_related("org", "enterprise", "reviewed_by", "member"),
        user,
        "members.review",
    )
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        _pending=Case(
            When(status=Enrolment.Status.SUBMITTED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("_pending", "submitted_at", "pk")


def transfer_queue(*, user: Any, status: str | None = None) -> QuerySet[TransferRequest]:
    """Transfer requests into unions where the reviewer holds ``members.review``; pending first."""
    qs = scope(
        TransferRequest.objects.select_related("member", "from_org", "to_org", "to_enterprise"),
        user,
        "members.review",
        field="to_org",
    )
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        _pending=Case(
            When(status=TransferRequest.Status.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("_pending", "requested_at", "pk")


def member_search(*, user: Any, q: str = "", capability: str = "members.view") -> QuerySet[Member]:
    """Members in the user's scope. ``q`` matches a name (contains), a member number, or exactly a
    phone or an ID number (through the blind index: no plaintext is searched)."""
    qs = scope(Member.objects.select_related("org", "enterprise"), user, capability)
    q = (q or "").strip()
    if q:
        cond = Q(name__icontains=q) | Q(member_no=normalize_member_no(q))
        with contextlib.suppress(InvalidIdentifier):
            cond |= Q(phone_index=pii.phone_index(normalize_phone(q)))
        with contextlib.suppress(InvalidIdentifier):
            cond |= Q(id_number_index=pii.id_number_index(parse_id_number(q).number))
        qs = qs.filter(cond)
    return qs.order_by("name", "pk")


def member_by_phone(phone: str) -> Member | None:
    """The member holding this (normalised) phone, whatever the status."""
    return (
        Member.objects.select_related("org", "enterprise")
        .filter(phone_index=pii.phone_index(phone))
        .first()
    )


def enrolments_for_phone(*, phone: str, limit: int = 10) -> list[Enrolment]:
    """Applications filed with this (normalised) phone, newest first (for the applicant)."""
    return list(
        Enrolment.objects.filter(phone_index=pii.phone_index(phone))
        .select_related("org", "member")
        .order_by("-submitted_at", "-pk")[: _limit(limit)]
    )


def transfers_of_member(*, member: Member) -> list[TransferRequest]:
    return list(
        TransferRequest.objects.filter(member=member)
        .select_related("from_org", "to_org")
        .order_by("-requested_at", "-pk")
    )


def union_contact(org: Org) -> Org:
    """Whom a member of ``org`` calls: the union itself when it gives a phone, else the nearest
    union above it that does (a small union often has no office of its own); the union itself
    when none does."""
    if org.contact_phone:
        return org
    above = org.get_ancestors().exclude(contact_phone="").order_by("-depth").first()
    return above or org


# --- figures: the counting rules of docs/figures.md ---------------------------------------------


def _events(org: Org | None, start: dt.datetime, end: dt.datetime) -> QuerySet[ServiceEvent]:
    """Events that occurred in [start, end) at ``org`` or below it (None: everywhere)."""
    events = ServiceEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    if org is not None:
        events = events.filter(org__path__startswith=org.path)
    return events


def _with_compensation(events: QuerySet[ServiceEvent]) -> QuerySet[ServiceEvent]:
    """Alias ``cancel_kind``: the compensating kind that would cancel each event ('' if none)."""
    pairs = servicekinds.cancellations()
    return events.alias(
        cancel_kind=Case(
            *[When(kind=kind, then=Value(cancel)) for kind, cancel in pairs.items()],
            default=Value(""),
            output_field=CharField(),
        )
    )


def _compensation() -> QuerySet[ServiceEvent]:
    """The compensating event of the outer event (at most one: the key is kind + source)."""
    return ServiceEvent.objects.filter(
        kind=OuterRef("cancel_kind"),
        source_type=OuterRef("source_type"),
        source_id=OuterRef("source_id"),
    )


def person_times_by_kind(
    *, org: Org | None, start: dt.datetime, end: dt.datetime
) -> dict[str, int]:
    """Person-times (人次) served in [start, end) at ``org``'s subtree, by counting kind.

    An event of a counting kind is one person-time, unless its compensating event exists (at
    any time: a registration cancelled later no longer counts in the month it was made). The
    event's own org and time place it; members imports no service app, the registry decides."""
    counting = servicekinds.counting_kinds()
    rows = (
        _with_compensation(_events(org, start, end).filter(kind__in=counting))
        .filter(~Exists(_compensation()))
        .values("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["kind"]: row["n"] for row in rows}


def person_times(*, org: Org | None, start: dt.datetime, end: dt.datetime) -> int:
    """Person-times (人次) served in [start, end) at ``org``'s subtree (docs/figures.md)."""
    return sum(person_times_by_kind(org=org, start=start, end=end).values())


def amounts_by_kind(*, org: Org | None, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Amounts (fen) in [start, end) at ``org``'s subtree by kind, net of compensations.

    Only kinds whose amount means something (spent, recovered) and that are not compensations
    themselves: a compensation is netted into the event it cancels, at that event's org and
    time, like the counts."""
    kinds = [s.kind for s in servicekinds.specs() if s.amount != servicekinds.Amount.NONE]
    kinds = [k for k in kinds if not servicekinds.spec(k).is_compensation]
    compensated = Coalesce(
        Subquery(_compensation().values("amount_fen")[:1]),
        Value(0),
        output_field=BigIntegerField(),
    )
    rows = (
        _with_compensation(_events(org, start, end).filter(kind__in=kinds))
        .values("kind")
        .annotate(total=Sum(F("amount_fen") + compensated))
        .order_by()
    )
    return {row["kind"]: row["total"] or 0 for row in rows}


def amounts(
    *, org: Org | None, start: dt.datetime, end: dt.datetime
) -> dict[servicekinds.Amount, int]:
    """Amounts (fen) in [start, end) at ``org``'s subtree by meaning (spent, recovered), net of
    compensations (docs/figures.md). Every meaning but ``none`` is present, 0 if nothing."""
    out: dict[servicekinds.Amount, int] = {
        m: 0 for m in servicekinds.Amount if m != servicekinds.Amount.NONE
    }
    for kind, total in amounts_by_kind(org=org, start=start, end=end).items():
        out[servicekinds.spec(kind).amount] += total
    return out


# --- member activity (日活 / 月活) --------------------------------------------------------------


def _activity_in(org: Org, start: dt.date, end: dt.date) -> QuerySet[MemberActivity]:
    return MemberActivity.objects.filter(
        org__path__startswith=org.path, day__gte=start, day__lte=end
    )


def active_members(*, org: Org, start: dt.date, end: dt.date) -> int:
    """Members of ``org``'s subtree active on any local day from ``start`` to ``end`` (both
    included), each counted once — also a member who moved between unions of the subtree in
    the period (月活 for a month). Not the sum of the children's figures."""
    return _activity_in(org, start, end).values("member_id").distinct().count()


def active_by_day(*, org: Org, start: dt.date, end: dt.date) -> dict[dt.date, int]:
    """日活: members of ``org``'s subtree active on each local day that had any."""
    rows = (
        _activity_in(org, start, end)
        .values("day")
        .annotate(n=Count("member_id", distinct=True))
        .order_by("day")
    )
    return {r["day"]: r["n"] for r in rows}


# --- figures published to the dashboard (members.figures) ------------------------------------


def figure_days(query: Any) -> tuple[dt.date, dt.date]:
    """The local days [first, after-last) of a figures ``Query``'s half-open period, for the
    tables that date their rows by a local day (``joined_on``, ``date``, …)."""
    from gonghui.core.timeutil import to_local

    return to_local(query.start).date(), to_local(query.end).date()


def _joined_in(query: Any) -> QuerySet[Member]:
    first, after = figure_days(query)
    return Member.objects.filter(
        org__path__startswith=query.org.path, joined_on__gte=first, joined_on__lt=after
    )


def figure_new_members(query: Any) -> int:
    """Members of the subtree who joined in the period (any way: enrolment, staff, roster)."""
    return _joined_in(query).count()


def figure_new_gig_members(query: Any) -> int:
    """Of them, gig workers (新就业形态)."""
    return _joined_in(query).filter(employment_type="gig").count()


def figure_members_total(query: Any) -> int:
    """Stock at the period's end: active members of the subtree who had joined by then."""
    _, after = figure_days(query)
    return Member.objects.filter(
        org__path__startswith=query.org.path,
        status=Member.Status.ACTIVE,
        joined_on__lt=after,
    ).count()


def pending_enrolments(user: Any, org: Org) -> int:
    """Applications awaiting review that ``user`` may decide, in ``org``'s subtree."""
    return (
        enrolment_queue(user=user, status=Enrolment.Status.SUBMITTED)
        .filter(org__path__startswith=org.path)
        .count()
    )


def pending_transfers(user: Any, org: Org) -> int:
    """Transfer requests into ``org``'s subtree awaiting ``user``'s decision."""
    return (
        transfer_queue(user=user, status=TransferRequest.Status.PENDING)
        .filter(to_org__path__startswith=org.path)
        .count()
    )
