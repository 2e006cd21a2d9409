"""`gonghui sms-dispatch`: send the SMS messages that are due and read delivery reports.

Celery beat does the same in production (every minute, every five); in the embedded default
(tasks inline, no beat) run it from cron every minute.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gonghui.core.sms.outbox import sms_poll_delivery, sms_retry_due


class Command(BaseCommand):
    help = "Send the SMS outbox messages that are due and record the providers' delivery reports."

    def handle(self, *args: Any, **options: Any) -> None:
        attempted = sms_retry_due()
        changed = sms_poll_delivery()
        self.stdout.write(f"{attempted} message(s) attempted, {changed} delivery report(s)")
