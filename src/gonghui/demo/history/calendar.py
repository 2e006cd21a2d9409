"""The shape of the demo's year: which days are busy, and a clock that can be set back.

``Year`` spreads counts over the 365 local days before today: weekends busier than weekdays
for leisure services, spikes around 春节, 五一 and 国庆, a dip in the summer heat. ``clock_at``
sets ``django.utils.timezone.now`` (and so ``core.timeutil.now`` and every ``auto_now_add``)
to a moment of that year while a real service runs, so the history is written by the services
themselves with every invariant they keep (places, stock, budgets, the ledger)."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from unittest import mock

from django.db import transaction
from django.utils import timezone

from gonghui.core.errors import Refused
from gonghui.core.timeutil import SHANGHAI

T = TypeVar("T")

DAYS = 365
SEED = 20261203

# 春节 (the first day of the lunar year), enough years for any demo date.
SPRING_FESTIVAL = {
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}


def holiday(day: dt.date) -> bool:
    """A day of a national holiday: 春节 (8 days), 五一 (1–5 May), 国庆 (1–7 October)."""
    festival = SPRING_FESTIVAL.get(day.year)
    if festival is not None and festival - dt.timedelta(days=1) <= day <= festival + dt.timedelta(
        days=6
    ):
        return True
    return (day.month == 5 and day.day <= 5) or (day.month == 10 and day.day <= 7)


def near_festival(day: dt.date) -> bool:
    """The two weeks before 春节: year-end visits and grants."""
    festival = SPRING_FESTIVAL.get(day.year) or SPRING_FESTIVAL.get(day.year + 1)
    for f in (SPRING_FESTIVAL.get(day.year), SPRING_FESTIVAL.get(day.year + 1), festival):
        if f is not None and f - dt.timedelta(days=15) <= day < f:
            return True
    return False


def leisure_weight(day: dt.date) -> float:
    """How busy a day is for leisure (offers, activities, venues) relative to a weekday."""
    weight = 1.0
    if day.weekday() >= 5:
        weight = 1.7
    if holiday(day):
        weight = 2.6
    if day.month in (7, 8):
        weight *= 0.85
    return weight


def work_weight(day: dt.date) -> float:
    """How busy a day is for office services (cases, applications, lessons)."""
    if holiday(day):
        return 0.15
    if day.weekday() >= 5:
        return 0.35
    return 1.0


class Year:
    """The 365 local days before ``today`` (today itself excluded: history is in the past)."""

    def __init__(self, today: dt.date, seed: int = SEED) -> None:
        self.today = today
        self.days = [today - dt.timedelta(days=n) for n in range(DAYS, 0, -1)]
        self.rng = random.Random(seed)

    @property
    def start(self) -> dt.datetime:
        return at_local(self.days[0], 0)

    @property
    def end(self) -> dt.datetime:
        """Today's local midnight: everything of the year happens before it."""
        return at_local(self.today, 0)

    def past(self, at: dt.datetime) -> bool:
        return at < self.end

    def spread(self, total: int, weight: str = "leisure") -> list[dt.date]:
        """``total`` days drawn with the given shape, in date order."""
        fn = leisure_weight if weight == "leisure" else work_weight
        weights = [fn(d) for d in self.days]
        return sorted(self.rng.choices(self.days, weights=weights, k=total))

    def moment(self, day: dt.date, first_hour: int = 8, last_hour: int = 21) -> dt.datetime:
        """A believable time of ``day`` (local) between the hours, as aware UTC."""
        minute = self.rng.randrange((last_hour - first_hour) * 60)
        local = dt.datetime.combine(day, dt.time(first_hour), tzinfo=SHANGHAI)
        return (local + dt.timedelta(minutes=minute, seconds=self.rng.randrange(60))).astimezone(
            dt.UTC
        )


def at_local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI).astimezone(dt.UTC)


@contextlib.contextmanager
def clock_at(moment: dt.datetime) -> Iterator[None]:
    """``timezone.now()`` (and ``core.timeutil.now()``) is ``moment`` inside the block."""
    with mock.patch.object(timezone, "now", lambda: moment):
        yield


def attempt(at: dt.datetime, fn: Callable[..., T], /, **kwargs: Any) -> T | None:
    """Call the service ``fn`` with the clock at ``at``, in a savepoint: None when it refuses
    (a limit, a full session…), and then nothing it wrote is kept."""
    with clock_at(at):
        try:
            with transaction.atomic():
                return fn(**kwargs)
        except Refused:
            return None
