"""Celery tasks of the dashboard (beat runs them in production; `gonghui dashboard-rollup` in
the embedded default)."""

from celery import shared_task

from .services import rollup_advance


@shared_task(name="gonghui.dashboard.rollup_advance")
def rollup_advance_task() -> dict[str, int]:
    return rollup_advance()
