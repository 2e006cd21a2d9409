"""The guard of the anonymous intake (H5 and API): a proof of work, then a rate limit per IP.

Anonymous intake needs no account, so a script could file thousands of cases. Each anonymous
request must carry a solved, fresh, unused challenge (``core.pow``: the page's static script
solves it while the person types), and an IP files at most
``GONGHUI_RIGHTS_INTAKE_PER_IP_HOUR`` cases an hour and ``GONGHUI_RIGHTS_INTAKE_PER_IP_DAY`` a
day (``core.throttle.take(durable=True)``: counted in the database, so the limit holds when Redis is down).
A refusal of the limit is a 429 with a message in the person's language (zh-hans by default).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from gonghui.core import throttle
from gonghui.core.errors import Refused
from gonghui.core.pow import pow_challenge, pow_verify

POW_PURPOSE = "rights.intake"


def intake_challenge() -> dict[str, Any]:
    return pow_challenge(POW_PURPOSE)


def intake_limits() -> tuple[throttle.Rule, throttle.Rule]:
    return (
        throttle.Rule(
            "rights.intake.ip.hour", int(settings.GONGHUI_RIGHTS_INTAKE_PER_IP_HOUR), 3600
        ),
        throttle.Rule(
            "rights.intake.ip.day", int(settings.GONGHUI_RIGHTS_INTAKE_PER_IP_DAY), 86400
        ),
    )


def intake_guard(*, ip: str | None, challenge: str, nonce: str) -> None:
    """Refuse an anonymous intake without a valid proof of work (400) or over the limit (429)."""
    pow_verify(purpose=POW_PURPOSE, challenge=challenge, nonce=nonce)
    hour, day = intake_limits()
    subject = ip or "unknown"
    refusal = throttle.take([(hour, subject), (day, subject)], durable=True)
    if refusal is not None:
        wait = refusal.retry_after
        minutes = max(1, -(-wait // 60))
        raise Refused(
            code="rate_limited",
            message=_(
                "Too many requests for help from your network. Please try again in "
                "%(minutes)d minutes, or call the 12351 union hotline."
            )
            % {"minutes": minutes},
            status=429,
            data={"retry_after": wait},
        )
