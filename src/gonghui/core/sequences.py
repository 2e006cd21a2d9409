"""Named counters: sequence_take() hands out a block of consecutive values under a row lock."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from .models import Sequence


def sequence_take(*, name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive values of the sequence ``name``; returns them as a range."""
    if count < 1:
        raise ValueError("count must be at least 1")
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        Sequence.objects.filter(name=name).update(last_value=F("last_value") + count)
        last = (
            Sequence.objects.select_for_update().values_list("last_value", flat=True).get(name=name)
        )
    return range(last - count + 1, last + 1)
