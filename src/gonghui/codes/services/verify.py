"""Code verification: the reasons a code is refused, the holder's lockout after wrong codes,
and the high-water mark that uses a code up. See docs/code-protocol.md.

Verification order (each step refuses with a reason code and a plain sentence):
malformed → unknown → revoked → locked → expired → bad_signature → already_used.
The MAC is checked before the high-water mark, so "already used" is only ever said of a code
that was genuine; a wrong MAC counts towards the holder's lockout (kept in the database).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import crypto, timeutil
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.core.sms import sms_send
from gonghui.members.models import Member
from gonghui.members.pii import open_phone

from .. import protocol, selectors
from ..models import PURPOSE_SEED, Credential, Terminal

log = logging.getLogger("gonghui.codes")


def lock_threshold() -> int:
    """Wrong codes (bad MAC) for one holder within the window that lock the credential."""
    return settings.GONGHUI_CODES_LOCK_THRESHOLD


def fail_window() -> dt.timedelta:
    """The window opens at a wrong code and lasts this long; a later wrong code opens a new one."""
    return dt.timedelta(seconds=settings.GONGHUI_CODES_FAIL_WINDOW_SECONDS)


def lock_duration(nth: int) -> dt.timedelta:
    """The ``nth`` lockout of a credential lasts 15 min × 2^(nth-1), at most 24 h."""
    base = settings.GONGHUI_CODES_LOCK_SECONDS
    cap = settings.GONGHUI_CODES_LOCK_MAX_SECONDS
    return dt.timedelta(seconds=min(base * 2 ** min(max(nth - 1, 0), 20), cap))


# reason -> (HTTP status, plain sentence). Messages are lazy: translated when shown.
REASONS: dict[str, tuple[int, Any]] = {
    "malformed": (400, gettext_lazy("This is not a benefit code: a code has 20 digits.")),
    "unknown": (400, gettext_lazy("This code is not known. Ask the member to refresh the code.")),
    "revoked": (400, gettext_lazy("This code is no longer valid: it was replaced or revoked.")),
    "member_inactive": (400, gettext_lazy("This member's membership is not active.")),
    "locked": (
        423,
        gettext_lazy(
            "This code is locked for a while after repeated wrong codes. Try again later."
        ),
    ),
    "expired": (
        400,
        gettext_lazy(
            "This code has expired. Ask the member to show a fresh code (and check the phone's clock)."
        ),
    ),
    "bad_signature": (400, gettext_lazy("This code is not genuine (wrong signature).")),
    "already_used": (
        409,
        gettext_lazy("This code has already been used. Ask the member to show a new code."),
    ),
}


def code_refusal(reason: str, **data: Any) -> Refused:
    status, message = REASONS[reason]
    return Refused(code=reason, message=message, field="code", status=status, data=data or None)


def seed_of(credential: Credential) -> bytes:
    return bytes.fromhex(crypto.decrypt(credential.seed_cipher, purpose=PURPOSE_SEED))


def _failure_record(*, credential: Credential, terminal: Terminal | None, now: dt.datetime) -> bool:
    """Count a wrong code for the holder (inside the caller's transaction); lock and notify once
    the threshold is reached within the window.

    Returns False when the credential turned out to be locked meanwhile (a concurrent request
    locked it after this one read it): then nothing is counted and the caller says "locked"."""
    window_start = now - fail_window()
    in_window = Q(fail_window_start__isnull=False, fail_window_start__gte=window_start)
    counted = (
        Credential.objects.filter(pk=credential.pk)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(
            fail_count=Case(When(in_window, then=F("fail_count") + 1), default=Value(1)),
            fail_window_start=Case(
                When(in_window, then=F("fail_window_start")), default=Value(now)
            ),
        )
    )
    if not counted:
        return False
    # The UPDATE above holds the row lock until the transaction ends: this read is stable.
    fresh = Credential.objects.values("fail_count", "lock_count").get(pk=credential.pk)
    if fresh["fail_count"] < lock_threshold():
        return True
    until = now + lock_duration(fresh["lock_count"] + 1)
    Credential.objects.filter(pk=credential.pk).update(
        locked_until=until, fail_count=0, fail_window_start=None, lock_count=F("lock_count") + 1
    )
    member = credential.member
    audit_record(
        actor=None,
        action="codes.credential.lock",
        obj=credential,
        org=member.org,
        data={"terminal": terminal.pk if terminal else None, "until": until.isoformat()},
    )
    transaction.on_commit(lambda: _notify_locked(member=member, until=until))
    return True


def _notify_locked(*, member: Member, until: dt.datetime) -> None:
    try:
        phone = open_phone(member)
    except crypto.DecryptionError:
        log.error("cannot open the phone of member %s to send a lockout notice", member.pk)
        return
    params = {"time": timeutil.to_local(until).strftime("%H:%M")}
    with translation.override(settings.LANGUAGE_CODE):
        message = (
            _(
                "Your union benefit code has been locked until %(time)s after repeated wrong codes. "
                "If this keeps happening, contact your union."
            )
            % params
        )
    sms_send(
        phone=phone,
        template="codes.credential_locked",
        params=params,
        message=message,
        org_id=member.org_id,
    )


@dataclass(frozen=True)
class Checked:
    credential: Credential
    member: Member
    step: int
    seq: int


def code_decode(code: str) -> protocol.DecodedCode:
    """The code's fields, or ``Refused`` (malformed). ``code_decode``, ``code_check`` and
    ``code_consume`` are the steps of ``code_verify``; the scan pipeline runs them in its own
    transaction."""
    if not isinstance(code, str) or len(code) > 64:
        raise code_refusal("malformed")
    try:
        return protocol.decode(code)
    except protocol.MalformedCode:
        raise code_refusal("malformed") from None


_CONSUME = (
    f"UPDATE {connection.ops.quote_name(Credential._meta.db_table)} "  # noqa: S608 - no input
    'SET "hw_step" = %s, "hw_seq" = %s, "use_count" = "use_count" + 1, "last_used_at" = %s '
    'WHERE "id" = %s AND "status" = %s AND ("locked_until" IS NULL OR "locked_until" <= %s) '
    'AND ("hw_step" < %s OR ("hw_step" = %s AND "hw_seq" < %s))'
)


def code_check(
    decoded: protocol.DecodedCode, *, terminal: Terminal | None, now: dt.datetime
) -> Checked | Refused:
    """Everything but the high-water mark. Runs inside a transaction; a wrong MAC is counted."""
    credential = selectors.credential_load(decoded.credential_id)
    if credential is None:
        return code_refusal("unknown")
    if credential.status != Credential.Status.ACTIVE:
        return code_refusal("revoked")
    if credential.member.status != Member.Status.ACTIVE:
        return code_refusal("member_inactive")
    if credential.locked_until is not None and credential.locked_until > now:
        return code_refusal("locked", locked_until=credential.locked_until.isoformat())
    step = protocol.full_step(
        step_low=decoded.step_low, server_step=protocol.time_step(now.timestamp())
    )
    if step is None:
        return code_refusal("expired")
    if not protocol.mac_valid(
        seed=seed_of(credential),
        credential_id=credential.pk,
        step=step,
        seq=decoded.seq,
        mac=decoded.mac,
    ):
        if not _failure_record(credential=credential, terminal=terminal, now=now):
            return code_refusal("locked")
        return code_refusal("bad_signature")
    return Checked(credential=credential, member=credential.member, step=step, seq=decoded.seq)


def code_consume(checked: Checked, *, now: dt.datetime) -> Refused | None:
    """Advance the high-water mark with one conditional UPDATE: exactly one caller wins."""
    step, seq = checked.step, checked.seq
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            _CONSUME,
            [step, seq, at, checked.credential.pk, Credential.Status.ACTIVE, at, step, step, seq],
        )
        if cursor.rowcount == 1:
            return None
    current = Credential.objects.get(pk=checked.credential.pk)
    if current.status != Credential.Status.ACTIVE:
        return code_refusal("revoked")
    if current.locked_until is not None and current.locked_until > now:
        return code_refusal("locked", locked_until=current.locked_until.isoformat())
    return code_refusal("already_used")


def code_verify(
    *, code: str, terminal: Terminal | None, now: dt.datetime | None = None
) -> tuple[Credential, Member]:
    """Verify a code and use it up. Returns (credential, member) or raises ``Refused``.

    Call it outside a transaction: a wrong code is counted towards the holder's lockout in the
    function's own transaction, which must commit although the call refuses."""
    now = now or timeutil.now()
    decoded = code_decode(code)
    with transaction.atomic():
        checked = code_check(decoded, terminal=terminal, now=now)
        if not isinstance(checked, Refused):
            refusal = code_consume(checked, now=now)
            checked = refusal if refusal is not None else checked
    if isinstance(checked, Refused):
        raise checked
    return checked.credential, checked.member
