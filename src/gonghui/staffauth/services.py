"""Writes of staff sign-in security: login outcomes (audited) and the TOTP second factor.

TOTP (RFC 6238): SHA-1, 6 digits, 30-second steps, accepted one step either side of now. The
highest accepted step is remembered per user and advanced by one conditional UPDATE, so a code
is accepted once only (and never an older one), even under concurrent requests.
"""

from __future__ import annotations

import hmac
from typing import Any

import pyotp
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from gonghui.core import crypto
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.core.identifiers import is_ascii_digits, normalize_digits
from gonghui.core.models import PURPOSE_STAFF_TOTP, StaffTotp
from gonghui.core.timeutil import now

from . import throttle
from .selectors import org_for_audit, resettable_staff

TOTP_DIGITS = 6
TOTP_INTERVAL = 30
TOTP_VALID_WINDOW = 1  # steps either side of now


# --- login outcomes -------------------------------------------------------------------------
def _label(username: str) -> str:
    return username.strip()[:150] or "(blank)"


def login_failure_record(*, username: str, ip: str | None, reason: str) -> list[throttle.Lock]:
    """Count a failed staff sign-in and audit it (and any lockout it starts).

    ``reason``: "password", "totp", "not_staff" or "locked". The password is never recorded."""
    started = [] if reason == "locked" else throttle.failure_register(username=username, ip=ip)
    with transaction.atomic():
        audit_record(
            actor=_label(username), action="staffauth.login.failure", data={"reason": reason}, ip=ip
        )
        for lock in started:
            audit_record(
                actor=_label(username),
                action="staffauth.login.lockout",
                data={"scope": lock.scope, "seconds": lock.seconds_left},
                ip=ip,
            )
    return started


def login_success_record(*, user: Any, ip: str | None) -> None:
    throttle.success_register(username=user.get_username())
    with transaction.atomic():
        audit_record(actor=user, action="staffauth.login.success", obj=user, ip=ip)


# --- TOTP -----------------------------------------------------------------------------------
def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL)


def totp_secret(record: StaffTotp) -> str:
    return crypto.decrypt(record.secret_cipher, purpose=PURPOSE_STAFF_TOTP)


def totp_provisioning_uri(*, record: StaffTotp) -> str:
    issuer = settings.GONGHUI_DEPLOYMENT_NAME or "Gonghui"
    return _totp(totp_secret(record)).provisioning_uri(
        name=record.user.get_username(), issuer_name=f"{issuer} 工惠码"
    )


def _matching_steps(secret: str, code: str) -> list[int]:
    code = normalize_digits(code or "")  # NFKC: full-width digits become ASCII; spaces go
    if len(code) != TOTP_DIGITS or not is_ascii_digits(code):
        return []
    totp = _totp(secret)
    current = totp.timecode(now())
    return [
        step
        for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1)
        if hmac.compare_digest(totp.generate_otp(step), code)
    ]


def _consume(record: StaffTotp, code: str) -> bool:
    """Accept ``code`` if it matches a step above the last used one; remember that step."""
    for step in _matching_steps(totp_secret(record), code):
        taken = (
            StaffTotp.objects.filter(pk=record.pk)
            .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step))
            .update(last_used_step=step)
        )
        if taken == 1:
            record.last_used_step = step
            return True
    return False


@transaction.atomic
def totp_enrol_start(*, user: Any, restart: bool = False) -> StaffTotp:
    """Give ``user`` a pending secret to scan (the same one until confirmed or restarted)."""
    record = StaffTotp.objects.select_for_update().filter(user=user).first()
    if record is not None and record.is_active:
        raise Refused(
            code="totp_already_active",
            message=_("Two-factor authentication is already active."),
        )
    if record is not None and not restart:
        return record
    secret = pyotp.random_base32(length=32)
    cipher = crypto.encrypt(secret, purpose=PURPOSE_STAFF_TOTP)
    if record is None:
        return StaffTotp.objects.create(user=user, secret_cipher=cipher)
    record.secret_cipher = cipher
    record.last_used_step = None
    record.save(update_fields=["secret_cipher", "last_used_step"])
    return record


@transaction.atomic
def totp_confirm(*, user: Any, code: str, ip: str | None = None) -> StaffTotp:
    """Activate the pending secret once the user proves it with a current code."""
    record = StaffTotp.objects.select_for_update().filter(user=user).first()
    if record is None:
        raise Refused(code="totp_not_started", message=_("Start the set-up first."))
    if record.is_active:
        raise Refused(
            code="totp_already_active", message=_("Two-factor authentication is already active.")
        )
    if not _consume(record, code):
        raise Refused(
            code="totp_invalid",
            message=_("This code is not valid. Check the time on your phone and try again."),
            field="code",
        )
    record.confirmed_at = now()
    record.save(update_fields=["confirmed_at"])
    audit_record(actor=user, action="staffauth.totp.activate", obj=user, ip=ip)
    return record


def totp_verify(*, user: Any, code: str) -> bool:
    """At sign-in: is ``code`` a valid, unused code of the user's active second factor?"""
    record = StaffTotp.objects.filter(user=user, confirmed_at__isnull=False).first()
    if record is None:
        return False
    with transaction.atomic():
        return _consume(record, code)


@transaction.atomic
def totp_disable(*, user: Any, code: str, ip: str | None = None) -> None:
    """The user turns their own second factor off, proving it with a current code."""
    record = (
        StaffTotp.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    )
    if record is None:
        raise Refused(code="totp_not_active", message=_("Two-factor authentication is not active."))
    if not _consume(record, code):
        raise Refused(code="totp_invalid", message=_("This code is not valid."), field="code")
    record.delete()
    audit_record(actor=user, action="staffauth.totp.disable", obj=user, ip=ip)


@transaction.atomic
def totp_reset(*, actor: Any, target_id: int, ip: str | None = None) -> Any:
    """Remove another staff member's second factor (lost phone). Out of scope answers 404."""
    target = resettable_staff(actor).filter(pk=target_id).first()
    if target is None:
        raise NotFound(_("No such staff member."))
    deleted, _detail = StaffTotp.objects.filter(user=target).delete()
    if not deleted:
        raise Refused(
            code="totp_not_set",
            message=_("This staff member has no two-factor authentication to reset."),
        )
    audit_record(
        actor=actor,
        action="staffauth.totp.reset",
        obj=target,
        org=org_for_audit(actor, target),
        ip=ip,
    )
    return target


def totp_secrets_reencrypt() -> int:
    """Re-encrypt every staff TOTP secret that is not under the active PII key (after a key
    rotation, before the old key is dropped). Returns how many rows changed; audited once."""
    prefix = f"{crypto.VERSION}.{crypto.active_key_id()}."
    changed = 0
    with transaction.atomic():
        for record in StaffTotp.objects.select_for_update().exclude(
            secret_cipher__startswith=prefix
        ):
            secret = crypto.decrypt(record.secret_cipher, purpose=PURPOSE_STAFF_TOTP)
            record.secret_cipher = crypto.encrypt(secret, purpose=PURPOSE_STAFF_TOTP)
            record.save(update_fields=["secret_cipher"])
            changed += 1
        audit_record(
            actor="gonghui rotate-totp-key",
            action="staffauth.totp.rotate_key",
            data={"key_id": crypto.active_key_id(), "rows": changed},
        )
    return changed
