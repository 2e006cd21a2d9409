"""`gonghui assistance-reminders`: remind case workers of files due for their yearly review.

In the embedded default (no Celery worker) run it daily from cron; in production Celery beat runs
the same task (settings.CELERY_BEAT_SCHEDULE)."""

from django.core.management.base import BaseCommand

from gonghui.assistance.tasks import review_reminders


class Command(BaseCommand):
    help = "Remind case workers of hardship files due for their yearly review."

    def handle(self, *args: object, **options: object) -> None:
        count = review_reminders.apply().get()
        self.stdout.write(f"{count} reminder(s) sent")
