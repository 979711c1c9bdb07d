"""Celery application. Configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entaix.settings.dev")

app = Celery("entaix")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# entaix itself is not an installed app: its tasks module (the worker's heartbeat) is named here.
app.autodiscover_tasks(["entaix"])
