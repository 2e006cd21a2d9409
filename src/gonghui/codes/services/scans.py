"""The scan pipeline: a terminal scans a member's code (or a member's phone a poster), the
handler registered for the terminal's context answers, the answer is stored under the
Idempotency-Key; rate limits, refusal bodies and replays of stored answers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.db import atomic_whole, insert_or_skip
from gonghui.core.errors import Refused
from gonghui.core.idempotency import idempotency_key_check
from gonghui.core.identifiers import masked_name
from gonghui.members.activity import Via, activity_note
from gonghui.members.models import Member

from .. import dispatch, protocol, ratelimit, selectors
from ..models import ScanRecord, Terminal
from .terminals import poster_terminal, terminal_refusal
from .verify import REASONS, Checked, code_check, code_consume, code_decode

MAX_PAYLOAD_BYTES = 8 * 1024


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
    record = selectors.scan_record_find(terminal=terminal, key=key)
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
                checked = code_check(decoded, terminal=terminal, now=now)
                if isinstance(checked, Checked):
                    record.member = member = checked.member
                    checked = code_consume(checked, now=now) or checked
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
    if status == 200 and member is not None:
        # 日活/月活, after the commit: no statement inside the scan's transaction
        activity_note(member_id=member.pk, org_id=member.org_id, via=Via.SCAN, at=now)
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
    key = idempotency_key_check(idempotency_key)
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
        decoded: protocol.DecodedCode | None = code_decode(code)
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
    key = idempotency_key_check(idempotency_key)
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
