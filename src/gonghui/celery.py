"""Celery application. In the embedded default tasks run inline (CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")

app = Celery("gonghui")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
