"""SMS one-time codes for member sign-in and enrolment.

- A code is 6 digits from ``secrets``, stored only as an HMAC (``salted_hmac`` with SECRET_KEY),
  valid for ``GONGHUI_OTP_TTL_SECONDS``, tried at most ``GONGHUI_OTP_MAX_ATTEMPTS`` times.
- Requests are rate-limited with ``core.throttle.take`` (cache first: Redis when ``REDIS_URL``
  is set, local memory otherwise): per phone 1 per 60 s and 5 per hour, per IP 20 per hour, all
  or nothing. In the cache each limit is an exact sliding window; when the cache raises (Redis
  down), the same limits hold as fixed windows in the database counters: sign-in degrades, it
  does not answer 500 and is not left unlimited.
- Verification claims an attempt with one conditional UPDATE, then consumes the challenge with
  another one (``consumed_at IS NULL``), so a code works exactly once, even under concurrency.

``otp_verify`` counts failed attempts in the database: do not call it inside an outer
``transaction.atomic`` that a refusal would roll back (that would undo the attempt count).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from gonghui.core import sms, throttle
from gonghui.core.errors import Refused
from gonghui.core.identifiers import (
    InvalidIdentifier,
    is_ascii_digits,
    normalize_digits,
    normalize_phone,
)
from gonghui.core.timeutil import now

from . import pii
from .models import OtpChallenge

log = logging.getLogger("gonghui.members.otp")

CODE_LENGTH = 6
_HMAC_SALT = "gonghui.members.otp"


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window: int  # seconds


PHONE_LIMITS = (Limit("phone_min", 1, 60), Limit("phone_hour", 5, 3600))
IP_LIMITS = (Limit("ip_hour", 20, 3600),)


def phone_error_message(code: str) -> str:
    """The translated message for a phone ``InvalidIdentifier`` code."""
    messages = {
        "phone_format": _("This is not a phone number."),
        "phone_invalid": _("This is not a valid mainland China mobile number."),
        "phone_not_mobile": _("A mobile number is needed to receive SMS codes."),
    }
    return messages.get(code, _("This is not a valid mobile number."))


def clean_phone(phone: str, *, field: str = "phone") -> str:
    """Normalise a mainland mobile number or raise ``Refused(field=field)``."""
    if not isinstance(phone, str) or not phone.strip():
        raise Refused(code="phone_required", message=_("Enter your mobile number."), field=field)
    try:
        return normalize_phone(phone)
    except InvalidIdentifier as exc:
        raise Refused(code=exc.code, message=phone_error_message(exc.code), field=field) from None


def _clean_purpose(purpose: str) -> str:
    if purpose not in OtpChallenge.Purpose.values:
        raise Refused(code="otp_purpose", message=_("Unknown purpose for a code."), field="purpose")
    return purpose


def _code_hash(*, phone_index: str, purpose: str, code: str) -> str:
    value = f"{phone_index}:{purpose}:{code}"
    return salted_hmac(_HMAC_SALT, value, algorithm="sha256").hexdigest()


# --- rate limits ------------------------------------------------------------------------------
def _rate_limited(seconds: int, scope: str) -> Refused:
    return Refused(
        code="rate_limited",
        message=_("Too many code requests. Please try again in %(seconds)d seconds.")
        % {"seconds": seconds},
        field="phone" if scope == "phone" else None,
        status=429,
        data={"retry_after": seconds, "scope": scope},
    )


def _rule(limit: Limit) -> throttle.Rule:
    return throttle.Rule(f"members.otp.{limit.name}", limit.count, limit.window)


def _check_and_take(checks: list[tuple[Limit, str, str]]) -> None:
    """All limits or none (``core.throttle.take``): a refused request takes nothing, so one
    limit never uses up another's allowance."""
    scopes = {_rule(limit): scope for limit, _subject, scope in checks}
    refusal = throttle.take([(_rule(limit), subject) for limit, subject, _scope in checks])
    if refusal is not None:
        raise _rate_limited(refusal.retry_after, scopes[refusal.rule])


# --- the two operations ----------------------------------------------------------------------
def otp_request(*, phone: str, purpose: str, ip: str | None) -> None:
    """Send a fresh 6-digit code to ``phone`` for ``purpose`` (``sign_in`` or ``enrol``)."""
    purpose = _clean_purpose(purpose)
    phone = clean_phone(phone)
    index = pii.phone_index(phone)
    checks: list[tuple[Limit, str, str]] = [(lim, index, "phone") for lim in PHONE_LIMITS]
    if ip:
        checks += [(lim, ip, "ip") for lim in IP_LIMITS]
    _check_and_take(checks)

    code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
    ttl = int(settings.GONGHUI_OTP_TTL_SECONDS)
    OtpChallenge.objects.create(
        phone_index=index,
        purpose=purpose,
        code_hash=_code_hash(phone_index=index, purpose=purpose, code=code),
        expires_at=now() + dt.timedelta(seconds=ttl),
    )
    minutes = max(1, ttl // 60)
    message = _(
        "[%(sender)s] Your verification code is %(code)s, valid for %(minutes)d minutes. "
        "Do not share it with anyone."
    ) % {"sender": settings.GONGHUI_DEPLOYMENT_NAME, "code": code, "minutes": minutes}
    try:
        # Recorded in the outbox (code sealed) and sent by the provider's template, with the
        # fallback order; a provider's failure is retried there, not answered here.
        recorded = sms.sms_send(
            phone=phone,
            template="members.otp",
            params={"code": code, "minutes": minutes},
            message=message,
            ip=ip,
            valid_for=ttl,
            check_limits=False,  # the limits above are this send's (core.throttle, taken once)
        )
        if recorded is None:
            raise RuntimeError("the SMS could not be recorded")
    except Exception:
        log.exception("SMS code could not be sent")
        raise Refused(
            code="sms_failed",
            message=_("The SMS could not be sent. Please try again later."),
            field="phone",
            status=503,
        ) from None


def otp_verify(*, phone: str, purpose: str, code: str) -> str:
    """Check ``code`` for (phone, purpose); on success consume it and return the normalised phone.

    Refusals (field "code" unless the phone is bad): ``otp_missing`` (no code was requested),
    ``otp_attempts`` (too many wrong tries: request a new code), ``otp_expired``,
    ``otp_invalid`` (wrong, or already used)."""
    purpose = _clean_purpose(purpose)
    phone = clean_phone(phone)
    code = normalize_digits(code or "")
    if len(code) != CODE_LENGTH or not is_ascii_digits(code):
        raise Refused(code="otp_invalid", message=_("The code has 6 digits."), field="code")
    index = pii.phone_index(phone)
    challenge = (
        OtpChallenge.objects.filter(phone_index=index, purpose=purpose, consumed_at__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )
    if challenge is None:
        raise Refused(code="otp_missing", message=_("Please request a code first."), field="code")
    max_attempts = int(settings.GONGHUI_OTP_MAX_ATTEMPTS)
    attempts_refusal = Refused(
        code="otp_attempts",
        message=_("Too many wrong codes. Please request a new code."),
        field="code",
    )
    if challenge.attempts >= max_attempts:
        raise attempts_refusal
    if challenge.expires_at <= now():
        raise Refused(
            code="otp_expired",
            message=_("The code has expired. Please request a new one."),
            field="code",
        )
    # Claim one attempt (conditional UPDATE): at most max_attempts tries, whatever the concurrency.
    claimed = OtpChallenge.objects.filter(
        pk=challenge.pk, consumed_at__isnull=True, attempts__lt=max_attempts
    ).update(attempts=F("attempts") + 1)
    if claimed != 1:
        challenge.refresh_from_db()
        if challenge.consumed_at is not None:
            raise Refused(
                code="otp_invalid", message=_("This code was already used."), field="code"
            )
        raise attempts_refusal
    expected = _code_hash(phone_index=index, purpose=purpose, code=code)
    if not hmac.compare_digest(expected, challenge.code_hash):
        left = max(0, max_attempts - challenge.attempts - 1)
        raise Refused(
            code="otp_invalid",
            message=_("The code is wrong."),
            field="code",
            data={"attempts_left": left},
        )
    consumed = OtpChallenge.objects.filter(pk=challenge.pk, consumed_at__isnull=True).update(
        consumed_at=now()
    )
    if consumed != 1:
        raise Refused(code="otp_invalid", message=_("This code was already used."), field="code")
    return phone
