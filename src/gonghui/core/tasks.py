"""Celery tasks of core: sealing the hash chains and recording their heads (core.chain).

Beat runs them in production (settings.CELERY_BEAT_SCHEDULE); in the embedded default run
`gonghui seal-chain` and `gonghui chain-head --file …` from cron."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from . import chain

log = logging.getLogger("gonghui.chain")


@shared_task(name="gonghui.core.chain_seal")
def chain_seal_task() -> int:
    """Seal the rows committed since the last run (reads new rows in id order; no writer waits)."""
    return len(chain.chain_seal())


@shared_task(name="gonghui.core.chain_head")
def chain_head_task() -> int:
    """Seal, then record each chain's head in the log and in GONGHUI_CHAIN_HEADS_FILE if set."""
    chain.chain_seal()
    heads = chain.chain_heads()
    for h in heads:
        log.info("chain head (daily) %s", h.line())
    path = settings.GONGHUI_CHAIN_HEADS_FILE
    if path:
        chain.heads_append(path, heads)
    return len(heads)


@shared_task(bind=True, name="gonghui.core.sms_send", max_retries=None)
def sms_send_task(self: Any, message_id: int) -> str:
    """One attempt at an outbox message (core.sms.outbox); a retry with backoff while it waits."""
    from .models import SmsMessage
    from .sms.outbox import backoff, sms_deliver

    status = sms_deliver(message_id=message_id)
    if status == SmsMessage.Status.QUEUED and not self.request.is_eager:
        attempts = SmsMessage.objects.values_list("attempts", flat=True).get(pk=message_id)
        raise self.retry(countdown=backoff(attempts))
    return status


@shared_task(name="gonghui.core.sms_retry_due")
def sms_retry_due_task() -> int:
    """Queued messages that are due (retries, and messages whose task was lost)."""
    from .sms.outbox import sms_retry_due

    return sms_retry_due()


@shared_task(name="gonghui.core.sms_poll_delivery")
def sms_poll_delivery_task() -> int:
    """Delivery reports from the providers' status APIs."""
    from .sms.outbox import sms_poll_delivery

    return sms_poll_delivery()
