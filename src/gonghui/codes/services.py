"""Writes of the code app: credentials, verification, terminals, scans. See docs/code-protocol.md.

Verification order (each step refuses with a reason code and a plain sentence):
malformed → unknown → revoked → locked → expired → bad_signature → already_used.
The MAC is checked before the high-water mark, so "already used" is only ever said of a code
that was genuine; a wrong MAC counts towards the holder's lockout (kept in the database).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import crypto, timeutil
from gonghui.core.audit import audit_record
from gonghui.core.db import Row, atomic_whole, insert_or_skip
from gonghui.core.errors import NotFound, Refused
from gonghui.core.sms import sms_send
from gonghui.members.models import Member
from gonghui.members.pii import open_phone
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

from . import dispatch, protocol, ratelimit
from .models import PURPOSE_SEED, Credential, ScanRecord, Terminal

log = logging.getLogger("gonghui.codes")

POSTER_SALT = "gonghui.codes.poster"
KEY_PREFIX = "ght_"
MAX_PAYLOAD_BYTES = 8 * 1024
MAX_IDEMPOTENCY_KEY = 64


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


# --- credentials -------------------------------------------------------------------------------


def _new_credential_id() -> int:
    span = protocol.CREDENTIAL_ID_MAX - protocol.CREDENTIAL_ID_MIN + 1
    return protocol.CREDENTIAL_ID_MIN + secrets.randbelow(span)


def seed_of(credential: Credential) -> bytes:
    return bytes.fromhex(crypto.decrypt(credential.seed_cipher, purpose=PURPOSE_SEED))


def credential_issue(
    *, member: Member, device_label: str = "", now: dt.datetime | None = None
) -> tuple[Credential, bytes]:
    """Issue a credential for ``member`` on a new device; the previous one is revoked (rotated).

    Returns the credential and its 32-byte seed. The seed is handed out only here, once; the
    server keeps it encrypted (``core.crypto``, purpose ``codes.seed``)."""
    now = now or timeutil.now()
    if member.status != Member.Status.ACTIVE:
        raise Refused(code="member_inactive", message=REASONS["member_inactive"][1], status=403)
    seed = secrets.token_bytes(protocol.SEED_BYTES)
    with transaction.atomic():
        # One issuance at a time per member: lock the member row.
        Member.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True).first()
        Credential.objects.filter(member=member, status=Credential.Status.ACTIVE).update(
            status=Credential.Status.REVOKED,
            revoked_reason=Credential.RevokeReason.ROTATED,
            revoked_at=now,
        )
        cipher = crypto.encrypt(seed.hex(), purpose=PURPOSE_SEED)
        for _attempt in range(8):
            try:
                with transaction.atomic():
                    credential = Credential.objects.create(
                        id=_new_credential_id(),
                        member=member,
                        seed_cipher=cipher,
                        device_label=device_label[:120],
                    )
                break
            except IntegrityError:  # the random id is taken: draw again
                continue
        else:  # pragma: no cover - 8 collisions in a space of 9e8
            raise RuntimeError("could not draw a free credential id")
    log.info("credential %s issued to member %s", credential.pk, member.pk)
    return credential, seed


def credential_revoke(
    *, credential: Credential, actor: Any, ip: str | None = None, now: dt.datetime | None = None
) -> Credential:
    """Staff revoke a credential (lost phone, misuse). Audited."""
    now = now or timeutil.now()
    org = credential.member.org
    if not can(actor, "codes.revoke", org):
        raise NotFound()
    with transaction.atomic():
        changed = Credential.objects.filter(
            pk=credential.pk, status=Credential.Status.ACTIVE
        ).update(
            status=Credential.Status.REVOKED,
            revoked_reason=Credential.RevokeReason.STAFF,
            revoked_at=now,
            revoked_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if changed:
            audit_record(
                actor=actor, action="codes.credential.revoke", obj=credential, org=org, ip=ip
            )
    credential.refresh_from_db()
    return credential


def credential_unlock(*, credential: Credential, actor: Any, ip: str | None = None) -> Credential:
    """Staff lift a lockout early (the member proved who they are). Audited."""
    org = credential.member.org
    if not can(actor, "codes.revoke", org):
        raise NotFound()
    with transaction.atomic():
        Credential.objects.filter(pk=credential.pk).update(
            locked_until=None, fail_count=0, fail_window_start=None, lock_count=0
        )
        audit_record(actor=actor, action="codes.credential.unlock", obj=credential, org=org, ip=ip)
    credential.refresh_from_db()
    return credential


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
    with translation.override(settings.LANGUAGE_CODE):
        message = _(
            "Your union benefit code has been locked until %(time)s after repeated wrong codes. "
            "If this keeps happening, contact your union."
        ) % {"time": timeutil.to_local(until).strftime("%H:%M")}
    sms_send(phone=phone, message=message)


@dataclass(frozen=True)
class Checked:
    credential: Credential
    member: Member
    step: int
    seq: int


def _decode(code: str) -> protocol.DecodedCode:
    if not isinstance(code, str) or len(code) > 64:
        raise code_refusal("malformed")
    try:
        return protocol.decode(code)
    except protocol.MalformedCode:
        raise code_refusal("malformed") from None


_CREDENTIAL = Row(Credential, "c")
_MEMBER = Row(Member, "m")
_ORG = Row(Org, "o")
_CONSUME = (
    f"UPDATE {connection.ops.quote_name(Credential._meta.db_table)} "  # noqa: S608 - no input
    'SET "hw_step" = %s, "hw_seq" = %s, "use_count" = "use_count" + 1, "last_used_at" = %s '
    'WHERE "id" = %s AND "status" = %s AND ("locked_until" IS NULL OR "locked_until" <= %s) '
    'AND ("hw_step" < %s OR ("hw_step" = %s AND "hw_seq" < %s))'
)


@functools.cache
def _credential_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    return (
        f"SELECT {_CREDENTIAL.select(q)}, {_MEMBER.select(q)}, {_ORG.select(q)} "  # noqa: S608
        f"FROM {q(Credential._meta.db_table)} c "
        f"JOIN {q(Member._meta.db_table)} m ON m.id = c.member_id "
        f"JOIN {q(Org._meta.db_table)} o ON o.id = m.org_id WHERE c.id = %s"
    )


def _credential_load(credential_id: int) -> Credential | None:
    """The credential with its member and the member's org, in one fixed SELECT (a scan's
    first read: ``select_related`` over the three tables costs more Python than the query)."""
    with connection.cursor() as cursor:
        cursor.execute(_credential_sql(connection.vendor), [credential_id])
        row = cursor.fetchone()
    if row is None:
        return None
    credential = _CREDENTIAL.read(row, 0)
    member = _MEMBER.read(row, len(_CREDENTIAL))
    member.org = _ORG.read(row, len(_CREDENTIAL) + len(_MEMBER))
    credential.member = member
    return credential


def _check(
    decoded: protocol.DecodedCode, *, terminal: Terminal | None, now: dt.datetime
) -> Checked | Refused:
    """Everything but the high-water mark. Runs inside a transaction; a wrong MAC is counted."""
    credential = _credential_load(decoded.credential_id)
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


def _consume(checked: Checked, *, now: dt.datetime) -> Refused | None:
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
    decoded = _decode(code)
    with transaction.atomic():
        checked = _check(decoded, terminal=terminal, now=now)
        if not isinstance(checked, Refused):
            refusal = _consume(checked, now=now)
            checked = refusal if refusal is not None else checked
    if isinstance(checked, Refused):
        raise checked
    return checked.credential, checked.member


# --- terminals ---------------------------------------------------------------------------------


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def terminal_key_new() -> tuple[str, str, str]:
    """A fresh API key: (key, display prefix, SHA-256 hash). 256 random bits."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[: len(KEY_PREFIX) + 6], key_hash(key)


def _terminal_fields_check(*, kind: str, name: str, context_type: str, context_id: str) -> None:
    if kind not in Terminal.Kind.values:
        raise Refused(code="invalid", message=_("Unknown terminal kind."), field="kind")
    if not name.strip():
        raise Refused(code="required", message=_("A terminal needs a name."), field="name")
    if not context_type or not context_id:
        raise Refused(
            code="required",
            message=_("A terminal belongs to one context."),
            field="context_id" if context_type else "context_type",
        )


def terminal_context_check(*, actor: Any, org: Org, context_type: str, context_id: str) -> Org:
    """Where a staff member may bind a terminal: the context must exist (the context's app says
    so through its resolver, ``codes.dispatch``), lie in the actor's scope (``codes.terminals``)
    and in the terminal's org or below it — the terminal's org decides who operates it.

    Returns the context's org or refuses with a field error. A context out of scope reads like
    one that does not exist, so that scope cannot be probed."""
    if not can(actor, "codes.terminals", org):
        raise Refused(
            code="invalid",
            message=_("Choose an organisation within your scope."),
            field="org",
        )
    registration = next((r for r in dispatch.registered() if r.context_type == context_type), None)
    if registration is None or registration.resolve is None:
        raise Refused(
            code="invalid",
            message=_("Terminals cannot be set up for this kind of context."),
            field="context_type",
        )
    where = dispatch.context_org(context_type, context_id)
    if where is None or not can(actor, "codes.terminals", where):
        raise Refused(
            code="context_not_found",
            message=_("There is no such %(kind)s within your organisations.")
            % {"kind": registration.label},
            field="context_id",
        )
    if not where.path.startswith(org.path):
        raise Refused(
            code="context_outside_org",
            message=_(
                "This %(kind)s belongs to %(where)s, outside the terminal's organisation: "
                "choose %(where)s or an organisation above it."
            )
            % {"kind": registration.label, "where": where.name},
            field="context_id",
        )
    return where


def terminal_create(
    *,
    actor: Any,
    org: Org,
    kind: str,
    name: str,
    context_type: str,
    context_id: str,
    ip: str | None = None,
) -> tuple[Terminal, str]:
    """Create a terminal; returns it with its API key, which is shown once and never stored.

    A staff ``actor`` may bind it only to a context that exists and lies in their scope and in
    ``org`` (``terminal_context_check``). ``actor=None`` is trusted code (the demo, an app that
    creates the terminals of its own contexts), not a request: it is not checked."""
    context_id = str(context_id).strip()
    if actor is not None and not can(actor, "codes.terminals", org):
        raise NotFound()
    _terminal_fields_check(kind=kind, name=name, context_type=context_type, context_id=context_id)
    if actor is not None:
        terminal_context_check(
            actor=actor, org=org, context_type=context_type, context_id=context_id
        )
    key, prefix, digest = terminal_key_new()
    with transaction.atomic():
        terminal = Terminal.objects.create(
            org=org,
            kind=kind,
            name=name.strip()[:120],
            context_type=context_type,
            context_id=context_id,
            key_prefix=prefix,
            key_hash=digest,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if actor is not None:
            audit_record(
                actor=actor,
                action="codes.terminal.create",
                obj=terminal,
                org=org,
                data={"kind": kind, "context": f"{context_type}:{context_id}"},
                ip=ip,
            )
    return terminal, key


def terminal_update(
    *,
    terminal: Terminal,
    actor: Any,
    org: Org,
    kind: str,
    name: str,
    context_type: str,
    context_id: str,
    ip: str | None = None,
) -> Terminal:
    """Rename a terminal or move it (org, context): the same checks as ``terminal_create``, on
    the terminal as it stands in the database and on what it becomes. Audited."""
    context_id = str(context_id).strip()
    with transaction.atomic():
        current = (
            Terminal.objects.select_for_update(of=("self",))
            .select_related("org")
            .filter(pk=terminal.pk)
            .first()
        )
        if current is None or not can(actor, "codes.terminals", current.org):
            raise NotFound()
        _terminal_fields_check(
            kind=kind, name=name, context_type=context_type, context_id=context_id
        )
        terminal_context_check(
            actor=actor, org=org, context_type=context_type, context_id=context_id
        )
        was = f"{current.context_type}:{current.context_id}"
        Terminal.objects.filter(pk=current.pk).update(
            org=org,
            kind=kind,
            name=name.strip()[:120],
            context_type=context_type,
            context_id=context_id,
        )
        audit_record(
            actor=actor,
            action="codes.terminal.update",
            obj=current,
            org=org,
            data={
                "kind": kind,
                "context": f"{context_type}:{context_id}",
                "was": was,
                "org_was": current.org_id,
            },
            ip=ip,
        )
    terminal.refresh_from_db()
    return terminal


def terminal_key_rotate(*, terminal: Terminal, actor: Any, ip: str | None = None) -> str:
    """A new key for the terminal; the old one stops working at once. Audited."""
    if not can(actor, "codes.terminals", terminal.org):
        raise NotFound()
    key, prefix, digest = terminal_key_new()
    with transaction.atomic():
        Terminal.objects.filter(pk=terminal.pk).update(key_prefix=prefix, key_hash=digest)
        audit_record(
            actor=actor, action="codes.terminal.rotate_key", obj=terminal, org=terminal.org, ip=ip
        )
    terminal.refresh_from_db()
    return key


def terminal_disable(
    *,
    terminal: Terminal,
    actor: Any,
    reason: str,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Terminal:
    """Disable a terminal: its key and posters answer 403 with the reason. Audited."""
    if not can(actor, "codes.terminals", terminal.org):
        raise NotFound()
    reason = (reason or "").strip()[:200] or _("Disabled by staff.")
    with transaction.atomic():
        Terminal.objects.filter(pk=terminal.pk).update(
            is_active=False, disabled_reason=reason, disabled_at=now or timeutil.now()
        )
        audit_record(
            actor=actor,
            action="codes.terminal.disable",
            obj=terminal,
            org=terminal.org,
            data={"reason": reason},
            ip=ip,
        )
    terminal.refresh_from_db()
    return terminal


def terminal_enable(*, terminal: Terminal, actor: Any, ip: str | None = None) -> Terminal:
    if not can(actor, "codes.terminals", terminal.org):
        raise NotFound()
    with transaction.atomic():
        Terminal.objects.filter(pk=terminal.pk).update(
            is_active=True, disabled_reason="", disabled_at=None
        )
        audit_record(
            actor=actor, action="codes.terminal.enable", obj=terminal, org=terminal.org, ip=ip
        )
    terminal.refresh_from_db()
    return terminal


def terminal_poster_rotate(*, terminal: Terminal, actor: Any, ip: str | None = None) -> Terminal:
    """Invalidate every printed poster of the terminal (a new poster must be printed). Audited."""
    if not can(actor, "codes.terminals", terminal.org):
        raise NotFound()
    with transaction.atomic():
        Terminal.objects.filter(pk=terminal.pk).update(poster_version=F("poster_version") + 1)
        audit_record(
            actor=actor,
            action="codes.terminal.rotate_poster",
            obj=terminal,
            org=terminal.org,
            ip=ip,
        )
    terminal.refresh_from_db()
    return terminal


def terminal_refusal(terminal: Terminal) -> Refused | None:
    """403 with the reason for a disabled terminal (or one whose org is inactive)."""
    if terminal.is_active and terminal.org.is_active:
        return None
    reason = terminal.disabled_reason or _("Disabled by staff.")
    return Refused(
        code="terminal_disabled",
        message=_("This terminal is disabled: %(reason)s") % {"reason": reason},
        status=403,
    )


def poster_token(terminal: Terminal) -> str:
    """The signed token printed (as a URL in a QR code) on the terminal's poster."""
    return signing.dumps({"t": terminal.pk, "v": terminal.poster_version}, salt=POSTER_SALT)


def poster_terminal(token: str) -> Terminal:
    """The terminal of a poster token, or Refused: forged, unknown, or from a replaced poster."""
    bad = Refused(
        code="poster_invalid",
        message=_("This poster code is not valid."),
        field="token",
        status=400,
    )
    if not isinstance(token, str) or len(token) > 300:
        raise bad
    try:
        data = signing.loads(token, salt=POSTER_SALT)
    except signing.BadSignature:
        raise bad from None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        raise bad
    terminal = Terminal.objects.select_related("org").filter(pk=data["t"]).first()
    if terminal is None or terminal.poster_version != data.get("v"):
        raise bad
    return terminal


# --- scans (dispatch with Idempotency-Key) -----------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200


def _canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    )


def _check_key(idempotency_key: str | None) -> str:
    key = (idempotency_key or "").strip()
    if not key:
        raise Refused(
            code="idempotency_key_required",
            message=_("Every terminal write needs an Idempotency-Key header."),
            field="Idempotency-Key",
        )
    if len(key) > MAX_IDEMPOTENCY_KEY or not all(
        c.isascii() and (c.isalnum() or c in "-_.:") for c in key
    ):
        raise Refused(
            code="idempotency_key_invalid",
            message=_("An Idempotency-Key is 1 to 64 letters, digits, '-', '_', '.' or ':'."),
            field="Idempotency-Key",
        )
    return key


def _check_payload(payload: Any) -> dict[str, Any]:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise Refused(
            code="invalid", message=_("The payload must be a JSON object."), field="payload"
        )
    try:
        size = len(_canonical(payload).encode("utf-8"))
    except (TypeError, ValueError):
        raise Refused(
            code="invalid", message=_("The payload must be a JSON object."), field="payload"
        ) from None
    if size > MAX_PAYLOAD_BYTES:
        raise Refused(
            code="payload_too_large",
            message=_("The payload is too large (at most 8 KB)."),
            field="payload",
            status=413,
        )
    return payload


def _handler(terminal: Terminal) -> Any:
    handler = dispatch.handler_for(terminal.context_type)
    if handler is None:
        raise Refused(
            code="no_handler",
            message=_("This terminal's context (%(context)s) does not take codes.")
            % {"context": terminal.context_type},
            status=409,
        )
    return handler


def _replay(*, terminal: Terminal, key: str, rhash: str) -> ScanResult | None:
    record = ScanRecord.objects.filter(terminal=terminal, idempotency_key=key).first()
    return _answer_of(record, rhash) if record is not None else None


def _stored_answer(*, terminal: Terminal, key: str, rhash: str) -> ScanResult:
    """The answer stored under a key that was just found taken (it exists: the INSERT hit it)."""
    replay = _replay(terminal=terminal, key=key, rhash=rhash)
    if replay is None:  # pragma: no cover - a unique conflict names an existing row
        raise RuntimeError(f"no stored answer for terminal {terminal.pk} key {key!r}")
    return replay


def _answer_of(record: ScanRecord, rhash: str) -> ScanResult:
    if record.request_hash != rhash:
        raise Refused(
            code="idempotency_key_reused",
            message=_("This Idempotency-Key was already used for a different request."),
            field="Idempotency-Key",
            status=409,
        )
    return ScanResult(status=record.status_code, body=record.response, replayed=True)


def masked_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1)


def _refusal_body(refusal: Refused, via: str) -> tuple[int, dict[str, Any]]:
    return refusal.status, {"ok": False, "via": via, **json.loads(_canonical(refusal.as_dict()))}


class _Answered(Exception):
    """The Idempotency-Key already has an answer: roll back this attempt and return that one."""


def _answer_keep(record: ScanRecord, *, status: int, body: dict[str, Any]) -> None:
    """Store the answer under its key, the transaction's last statement; ``_Answered`` when the
    key is taken (a retry, or a concurrent duplicate that committed first)."""
    record.status_code = status
    record.outcome = str(body.get("code", ""))[:32]
    record.response = body
    if not insert_or_skip(record):
        raise _Answered


def _run(
    *,
    terminal: Terminal,
    key: str,
    rhash: str,
    via: str,
    payload: dict[str, Any],
    decoded: protocol.DecodedCode | None = None,
    member: Member | None = None,
    now: dt.datetime,
) -> ScanResult:
    """Verify, call the handler and store the answer under the key: one transaction.

    The transaction is an ``atomic_whole``: the services the handler calls add no savepoints,
    and a refusal by the handler rolls back everything, the code's use included (a refused code
    is not used up); the refusal is then stored in a transaction of its own. A wrong code is not
    a handler refusal: it is stored with the failure it counts towards the holder's lockout.

    The answer is stored last (an INSERT that skips a conflict), so no row is held for it while
    the handler works. Duplicates cannot both succeed: two requests with one code meet at the
    credential's high-water mark (one conditional UPDATE: the second waits for the first and
    then finds the code used); two reverse scans meet at the key's unique index. Whoever finds
    the key taken rolls back all it did and returns the stored answer."""
    handler = _handler(terminal)
    record = ScanRecord(
        terminal=terminal,
        idempotency_key=key,
        request_hash=rhash,
        via=via,
        credential_id=decoded.credential_id if decoded else None,
        member=member,
    )
    try:
        with atomic_whole():
            checked: Checked | Refused | None = None
            if decoded is not None:
                checked = _check(decoded, terminal=terminal, now=now)
                if isinstance(checked, Checked):
                    record.member = member = checked.member
                    checked = _consume(checked, now=now) or checked
            if isinstance(checked, Refused):
                status, body = _refusal_body(checked, via)
            else:
                assert member is not None
                result = handler(terminal=terminal, member=member, payload=payload)
                status = 200
                body = json.loads(
                    _canonical(
                        {
                            "ok": True,
                            "code": "ok",
                            "via": via,
                            "member": {"name": masked_name(member.name)},
                            "result": result if result is not None else {},
                        }
                    )
                )
            _answer_keep(record, status=status, body=body)
    except Refused as exc:  # the handler refused: everything above is rolled back
        status, body = _refusal_body(exc, via)
        record.pk = None
        try:
            with transaction.atomic():
                _answer_keep(record, status=status, body=body)
        except _Answered:
            return _stored_answer(terminal=terminal, key=key, rhash=rhash)
    except _Answered:
        return _stored_answer(terminal=terminal, key=key, rhash=rhash)
    if body.get("code") in ("unknown", "bad_signature"):
        ratelimit.hit("terminal_bad", terminal.pk)
    if terminal.last_seen_at is None or terminal.last_seen_at < now - dt.timedelta(minutes=1):
        Terminal.objects.filter(pk=terminal.pk).filter(
            Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - dt.timedelta(minutes=1))
        ).update(last_seen_at=now)
        terminal.last_seen_at = now
    return ScanResult(status=status, body=body)


def _rate_limited(what: str) -> Refused:
    return Refused(
        code="rate_limited",
        message=_("Too many requests from this %(what)s. Wait a minute and try again.")
        % {"what": what},
        status=429,
    )


def scan_code(
    *,
    terminal: Terminal,
    code: str,
    payload: dict[str, Any] | None,
    idempotency_key: str | None,
    now: dt.datetime | None = None,
) -> ScanResult:
    """A terminal scanned (or a cashier typed) a member's code.

    Returns the stored answer (200 with the handler's result, or a refusal's status and body);
    raises ``Refused`` for what is refused before anything is stored: a malformed code, a missing
    or reused Idempotency-Key, a disabled terminal, a context without handler, rate limits."""
    now = now or timeutil.now()
    key = _check_key(idempotency_key)
    payload = _check_payload(payload)
    refusal = terminal_refusal(terminal)
    if refusal is not None:
        raise refusal
    rhash = hashlib.sha256(
        _canonical({"via": "code", "code": code, "payload": payload}).encode()
    ).hexdigest()
    _handler(terminal)
    malformed: Refused | None = None
    try:
        decoded: protocol.DecodedCode | None = _decode(code)
    except Refused as exc:
        decoded, malformed = None, exc
    # One round trip to the rate limits. A limit refuses only a new request: a retry of a stored
    # one gets its first answer (the replay is looked up here, not before every scan).
    over = ratelimit.scan_verdict(terminal.pk, decoded.credential_id if decoded else None)
    if over is not None:
        replay = _replay(terminal=terminal, key=key, rhash=rhash)
        if replay is not None:
            return replay
        raise _rate_limited(_("terminal") if over == "terminal" else _("member's code"))
    if malformed is not None:
        ratelimit.hit("terminal_bad", terminal.pk)
        raise malformed
    return _run(
        terminal=terminal,
        key=key,
        rhash=rhash,
        via=ScanRecord.Via.CODE,
        payload=payload,
        decoded=decoded,
        now=now,
    )


def scan_poster(
    *,
    member: Member,
    token: str,
    payload: dict[str, Any] | None,
    idempotency_key: str | None,
    now: dt.datetime | None = None,
) -> ScanResult:
    """Reverse scan: a signed-in member's phone submits a terminal's poster token.

    The member comes from the session; the rest is the same dispatch as ``scan_code``."""
    now = now or timeutil.now()
    key = _check_key(idempotency_key)
    payload = _check_payload(payload)
    terminal = poster_terminal(token)
    refusal = terminal_refusal(terminal)
    if refusal is not None:
        raise refusal
    if member.status != Member.Status.ACTIVE:
        raise Refused(code="member_inactive", message=REASONS["member_inactive"][1], status=403)
    scoped_key = f"m{member.pk}:{key}"  # members' keys never collide with each other's
    rhash = hashlib.sha256(
        _canonical({"via": "poster", "member": member.pk, "payload": payload}).encode()
    ).hexdigest()
    replay = _replay(terminal=terminal, key=scoped_key, rhash=rhash)
    if replay is not None:
        return replay
    _handler(terminal)
    if not ratelimit.hit("member_poster", member.pk):
        raise _rate_limited(_("phone"))
    return _run(
        terminal=terminal,
        key=scoped_key,
        rhash=rhash,
        via=ScanRecord.Via.POSTER,
        payload=payload,
        member=member,
        now=now,
    )
