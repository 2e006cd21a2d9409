"""Rate limits counted in the database: they hold when the cache (Redis) is down or flushed.

``rate_hit(rules)`` counts, for each ``(Rule, subject)``, the hits of the last ``window``
seconds (an exact sliding window); if every rule has room it records one hit for each and
returns ``None``, otherwise it records nothing and returns the seconds until the fullest rule
frees a place. The subject's row is locked (``SELECT … FOR UPDATE``) while it counts, so
concurrent requests never exceed the limit. Subjects (an IP, a phone's blind index) are stored
only as an HMAC. It runs in its own transaction and commits the hit at once: call it outside a
transaction that a refusal would roll back. Meant for low-rate endpoints (enrolment, anonymous
rights intake), not for hot paths.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.crypto import salted_hmac

from .models import RateLimitHit, RateLimitKey
from .timeutil import now


@dataclass(frozen=True)
class Rule:
    scope: str  # e.g. "rights.intake.ip.hour"
    count: int
    window: int  # seconds


def _key(rule: Rule, subject: str) -> str:
    return salted_hmac("gonghui.core.ratelimit", f"{rule.scope}:{subject}").hexdigest()[:64]


def rate_hit(rules: Sequence[tuple[Rule, str]]) -> int | None:
    """Record one hit under every rule, or none and return the seconds to wait."""
    at = now()
    keys = sorted({_key(rule, subject) for rule, subject in rules})
    with transaction.atomic():
        for key in keys:  # one fixed order: no deadlock between two callers
            RateLimitKey.objects.get_or_create(key=key)
        list(RateLimitKey.objects.select_for_update().filter(key__in=keys).order_by("key"))
        wait = 0
        for rule, subject in rules:
            since = at - dt.timedelta(seconds=rule.window)
            recent = RateLimitHit.objects.filter(key_id=_key(rule, subject), at__gt=since)
            if recent.count() >= rule.count:
                oldest = recent.order_by("at").values_list("at", flat=True)[
                    recent.count() - rule.count
                ]
                wait = max(wait, math.ceil((oldest - since).total_seconds()) or 1)
        if wait:
            return wait
        longest = max(rule.window for rule, _subject in rules)
        for rule, subject in rules:
            key = _key(rule, subject)
            RateLimitHit.objects.filter(
                key_id=key, at__lte=at - dt.timedelta(seconds=longest)
            ).delete()
            RateLimitHit.objects.create(key_id=key, at=at)
    return None
