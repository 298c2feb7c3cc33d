"""The Celery application: Redis broker, queues by job kind, one beat whose
schedule lives in settings (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import Celery
from kombu import Queue

# DJANGO_SETTINGS_MODULE comes from whoever starts the process (manage.py,
# wsgi.py, the embedded launcher, docker-compose): setting a default here
# would leak into every process that merely imports otc.
app = Celery("otc", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("reports"), Queue("email"))
app.autodiscover_tasks()
