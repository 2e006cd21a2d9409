"""Celery tasks of hardship assistance (beat runs them in production; inline in the default)."""

from celery import shared_task

from .services import review_reminders_send


@shared_task(name="gonghui.assistance.review_reminders")
def review_reminders() -> int:
    return review_reminders_send()
