"""Bulk writing of the year's high-volume, low-invariant rows: the service events of rows just
bulk-inserted (lessons completed, check-ins, gate entries) and the 日活 they note.

Exactly what ``members.services.service_event_record`` writes for each — the kind's amount rule
checked, one event per (kind, source), the member and org given, the act's time — and what its
on-commit ``activity_note`` writes: a ``MemberActivity`` (``via=service``) for the member and
local day unless one is there (the first activity of a day wins: ``ignore_conflicts``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models

from gonghui.core.timeutil import SHANGHAI
from gonghui.members import servicekinds
from gonghui.members.models import MemberActivity, ServiceEvent

BATCH = 2_000


@dataclass(frozen=True)
class Served:
    member_id: int
    org_id: int
    source: models.Model
    at: dt.datetime
    amount_fen: int = 0


def events_write(kind: str, served: Iterable[Served]) -> int:
    """One ``kind`` event per served row (its source saved, with its pk); returns how many."""
    rows = list(served)
    for s in rows:
        servicekinds.amount_check(kind, s.amount_fen)
    ServiceEvent.objects.bulk_create(
        [
            ServiceEvent(
                member_id=s.member_id,
                org_id=s.org_id,
                kind=kind,
                amount_fen=s.amount_fen,
                source_type=s.source._meta.label_lower,
                source_id=str(s.source.pk),
                occurred_at=s.at,
            )
            for s in rows
        ],
        batch_size=BATCH,
    )
    MemberActivity.objects.bulk_create(
        [
            MemberActivity(
                member_id=s.member_id,
                day=s.at.astimezone(SHANGHAI).date(),
                org_id=s.org_id,
                via=MemberActivity.Via.SERVICE,
                first_at=s.at,
            )
            for s in rows
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return len(rows)
