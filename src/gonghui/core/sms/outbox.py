"""The SMS outbox: record every message, send it in a Celery task, retry, fall back, poll.

- ``sms_send`` records the message (``core.SmsMessage``, phone, parameters and text sealed) and
  hands it to the task ``gonghui.core.sms_send`` after the outbox row commits (inline at once
  when tasks run inline, the embedded default without Redis). It never raises: a message
  refused by the send limits is recorded as failed.
- ``sms_deliver`` is one attempt: it claims the message (one conditional UPDATE, so two workers
  never send it twice), then tries ``GONGHUI_SMS_BACKEND`` and, only after a provider error or a
  time-out, each backend of ``GONGHUI_SMS_FALLBACK`` in order. The provider's own throttling
  is not a reason to fall back: the message waits and is tried again. Without success the
  message waits ``backoff(attempts)`` (30 s, 60 s, 120 s… at most an hour) and after
  ``GONGHUI_SMS_MAX_ATTEMPTS`` attempts, or once its ``expires_at`` has passed (a sign-in code
  that is no longer valid), it is failed, with the last error kept.
- ``sms_retry_due`` (beat, every minute) sends what is due: retries, and messages whose task
  was lost (broker down at the time).
- ``sms_poll_delivery`` (beat) asks each provider that can report delivery (``poll``) about the
  messages it sent in the last three days.

Send limits (``core.throttle``, database counters, so they hold when Redis is down) apply to
every message: per phone ``GONGHUI_SMS_PER_PHONE_HOUR`` and ``GONGHUI_SMS_PER_PHONE_DAY``, and
per IP ``GONGHUI_SMS_PER_IP_HOUR`` when the sender names the request's IP. Sign-in codes are
limited by ``members.otp`` itself (per phone and per IP, through the same ``core.throttle``,
before a code is made), and so are applications to join (``members.enrolment``): their
messages pass ``check_limits=False`` so that one request is not counted twice under two sets of
rules. Every other message counts here.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.module_loading import import_string

from .. import throttle
from ..identifiers import mask_phone
from ..models import SmsMessage
from ..timeutil import now
from .backends import Sent, Sms, SmsBackend, SmsError, SmsThrottled

log = logging.getLogger("gonghui.sms")

Status = SmsMessage.Status
LEASE = dt.timedelta(minutes=2)  # a claimed message is not claimed again meanwhile
POLL_WINDOW = dt.timedelta(days=3)
POLL_BATCH = 200


def backoff(attempts: int) -> int:
    """Seconds to wait after ``attempts`` failed attempts: 30, 60, 120 … at most 3600."""
    return int(min(3600, 30 * 2 ** max(0, attempts - 1)))


@lru_cache(maxsize=8)
def _backend(path: str) -> SmsBackend:
    return import_string(path)()


def backend_paths() -> list[str]:
    """The primary backend, then the fallback order, each once."""
    paths = [str(settings.GONGHUI_SMS_BACKEND), *settings.GONGHUI_SMS_FALLBACK]
    return list(dict.fromkeys(p for p in paths if p))


def _limits(phone: str, ip: str | None) -> list[tuple[throttle.Rule, str]]:
    rules = [
        (
            throttle.Rule("core.sms.phone.hour", int(settings.GONGHUI_SMS_PER_PHONE_HOUR), 3600),
            phone,
        ),
        (
            throttle.Rule("core.sms.phone.day", int(settings.GONGHUI_SMS_PER_PHONE_DAY), 86400),
            phone,
        ),
    ]
    if ip:
        rules.append(
            (throttle.Rule("core.sms.ip.hour", int(settings.GONGHUI_SMS_PER_IP_HOUR), 3600), ip)
        )
    return rules


def sms_send(
    *,
    phone: str,
    template: str,
    params: Mapping[str, Any],
    message: str,
    org_id: int | None = None,
    ip: str | None = None,
    valid_for: int | None = None,
    check_limits: bool = True,
) -> SmsMessage | None:
    """Record an SMS and have it sent; never raises (``None`` only if it could not be recorded).

    ``template`` is the provider template's key (``members.otp``…), ``params`` its parameters,
    ``message`` the same text rendered in the site's language (console, memory backend).
    ``valid_for`` (seconds): after that the message is no longer worth sending (a code).
    ``check_limits=False``: the caller has already taken its own send limits (``members.otp``)."""
    try:
        at = now()
        refusal = throttle.take(_limits(phone, ip), durable=True) if check_limits else None
        row = SmsMessage.objects.create(
            phone=phone,
            phone_masked=mask_phone(phone),
            template=template,
            params=json.dumps({k: str(v) for k, v in params.items()}, ensure_ascii=False),
            text=str(message),
            org_id=org_id,
            next_attempt_at=at,
            expires_at=at + dt.timedelta(seconds=valid_for) if valid_for else None,
        )
        if refusal is not None:
            SmsMessage.objects.filter(pk=row.pk).update(
                status=Status.FAILED,
                failed_at=at,
                next_attempt_at=None,
                last_error=f"rate_limited: {refusal.rule.scope}",
            )
            log.warning("SMS %s refused by the send limit %s", row.pk, refusal.rule.scope)
            return row
    except Exception:
        log.exception("SMS to %s could not be recorded", mask_phone(phone))
        return None
    _dispatch(row.pk)
    return row


def _dispatch(pk: int) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Inline (no broker): send now; a failure waits for the next `gonghui sms-dispatch`.
        try:
            sms_deliver(message_id=pk)
        except Exception:
            log.exception("SMS %s: the inline attempt failed", pk)
        return

    def enqueue() -> None:
        from ..tasks import sms_send_task

        try:
            sms_send_task.delay(pk)
        except Exception:  # broker down: the message stays queued for sms_retry_due
            log.exception("SMS %s could not be queued; the next dispatch sends it", pk)

    transaction.on_commit(enqueue)


def _finish(pk: int, **fields: Any) -> None:
    SmsMessage.objects.filter(pk=pk).update(**fields)


def sms_deliver(*, message_id: int) -> str:
    """One attempt at sending ``message_id`` through the fallback order; answers its status."""
    at = now()
    claimed = (
        SmsMessage.objects.filter(pk=message_id, status=Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=at))
        .update(attempts=F("attempts") + 1, next_attempt_at=at + LEASE)
    )
    row = SmsMessage.objects.get(pk=message_id)
    if not claimed:
        return str(row.status)
    if row.expires_at is not None and row.expires_at <= at:
        _finish(
            row.pk, status=Status.FAILED, failed_at=at, next_attempt_at=None, last_error="expired"
        )
        return Status.FAILED
    sms = Sms(
        phone=row.phone,
        template=row.template,
        params=json.loads(row.params or "{}"),
        text=row.text,
    )
    errors: list[str] = []
    for path in backend_paths():
        try:
            backend = _backend(path)
            provider_id = backend.send(sms)
        except SmsThrottled as exc:
            errors.append(f"{_name(path)}: throttled {exc.code}")
            break  # the provider asks to slow down: wait, do not go around it
        except SmsError as exc:
            errors.append(f"{_name(path)}: {exc.code}")
            log.warning("SMS %s: %s failed (%s), trying the next backend", row.pk, path, exc)
            continue
        except Exception as exc:
            errors.append(f"{_name(path)}: {type(exc).__name__}")
            log.exception("SMS %s: %s failed unexpectedly", row.pk, path)
            continue
        _finish(
            row.pk,
            status=Status.SENT,
            provider=backend.name,
            provider_message_id=str(provider_id or "")[:64],
            sent_at=now(),
            next_attempt_at=None,
            last_error="; ".join(errors)[:255],
        )
        return Status.SENT
    error = "; ".join(errors)[:255] or "no backend"
    if row.attempts >= int(settings.GONGHUI_SMS_MAX_ATTEMPTS):
        _finish(
            row.pk, status=Status.FAILED, failed_at=now(), next_attempt_at=None, last_error=error
        )
        log.error("SMS %s failed after %s attempts: %s", row.pk, row.attempts, error)
        return Status.FAILED
    wait = dt.timedelta(seconds=backoff(row.attempts))
    _finish(row.pk, next_attempt_at=now() + wait, last_error=error)
    return Status.QUEUED


def _name(path: str) -> str:
    try:
        return str(_backend(path).name)
    except Exception:
        return path.rsplit(".", 1)[-1]


def sms_retry_due(*, limit: int = 200) -> int:
    """Attempt every queued message that is due; answers how many were attempted."""
    due = list(
        SmsMessage.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        try:
            sms_deliver(message_id=pk)
        except Exception:
            log.exception("SMS %s: the attempt failed", pk)
    return len(due)


def sms_poll_delivery() -> int:
    """Record the delivery reports of the providers; answers how many messages changed."""
    changed = 0
    since = now() - POLL_WINDOW
    for path in backend_paths():
        try:
            backend = _backend(path)
        except Exception:
            log.exception("SMS backend %s cannot be loaded", path)
            continue
        poll = getattr(backend, "poll", None)
        if poll is None:
            continue
        rows = list(
            SmsMessage.objects.filter(provider=backend.name, status=Status.SENT, sent_at__gte=since)
            .exclude(provider_message_id="")
            .order_by("sent_at")[:POLL_BATCH]
        )
        if not rows:
            continue
        sent = [
            Sent(
                phone=row.phone,
                provider_message_id=row.provider_message_id,
                sent_at_epoch=(row.sent_at or row.created_at).timestamp(),
            )
            for row in rows
        ]
        try:
            reports: dict[str, tuple[bool, str]] = poll(sent)
        except Exception:
            log.exception("SMS delivery reports of %s could not be read", backend.name)
            continue
        for row in rows:
            report = reports.get(row.provider_message_id)
            if report is None:
                continue
            delivered, error = report
            if delivered:
                n = SmsMessage.objects.filter(pk=row.pk, status=Status.SENT).update(
                    status=Status.DELIVERED, delivered_at=now()
                )
            else:
                n = SmsMessage.objects.filter(pk=row.pk, status=Status.SENT).update(
                    status=Status.FAILED, failed_at=now(), last_error=f"report: {error}"[:255]
                )
            changed += n
    return changed
