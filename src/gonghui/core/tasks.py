"""Celery tasks of core: sealing the hash chains and recording their heads (core.chain).

Beat runs them in production (settings.CELERY_BEAT_SCHEDULE); in the embedded default run
`gonghui seal-chain` and `gonghui chain-head --file …` from cron."""

from __future__ import annotations

import logging

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
