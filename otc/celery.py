"""The Celery application: Redis broker, queues by job kind, one beat whose
schedule lives in settings (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otc.settings.dev")

app = Celery("otc", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("reports"), Queue("email"))
app.autodiscover_tasks()
