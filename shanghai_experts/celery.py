"""The Celery application: the broker is Redis (CELERY_BROKER_URL or REDIS_URL); with neither,
tasks run at once in the process that asks (the embedded default, `make run`)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanghai_experts.settings")

app = Celery("shanghai_experts")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
