"""Celery task of the roster import (used when a broker is configured; see importer.import_job_start).

Registered with the worker through ``members/admin.py`` → ``roster/admin.py``, which imports this
module (the admin is loaded by ``django.setup()``); Celery's autodiscovery looks only at
``<app>/tasks.py``."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="gonghui.members.roster.import_job_run", acks_late=True)
def roster_import_task(job_id: int) -> None:
    from .importer import import_job_run

    import_job_run(job_id)
