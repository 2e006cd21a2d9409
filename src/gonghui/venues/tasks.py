"""Periodic tasks (Celery beat in production; inline in the embedded default, where
``gonghui venues_slots`` runs the same code from cron or by hand)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="gonghui.venues.slots_generate")
def slots_generate() -> int:
    return services.slots_generate()


@shared_task(name="gonghui.venues.no_shows_mark")
def no_shows_mark() -> int:
    return services.no_shows_mark()
