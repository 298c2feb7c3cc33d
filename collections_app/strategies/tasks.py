"""Celery entry points of collection strategies.

- ``strategies_tick`` (beat, every 15 minutes): each active tenant whose
  local dunning hour has come (the same hour as its dunning) and whose
  strategies have not run on its local day gets a ``run_strategies`` task.
- ``run_strategies(tenant_id, day)``: create the day's tasks. Running it
  twice (an overlapping tick, a redelivered task) creates nothing new: the
  tasks' unique key refuses a second copy.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from collections_app.dunning.models import DunningSettings
from collections_app.dunning.tasks import local_run_day
from collections_app.strategies.models import StrategyRunDay
from collections_app.strategies.services.strategies import strategies_run
from otc.tasks import tenant_task
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant


@tenant_task(
    name="collections_app.strategies.tasks.run_strategies",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def run_strategies(tenant: Tenant, day: str) -> int:
    return strategies_run(tenant=tenant, day=date.fromisoformat(day))


@shared_task(name="collections_app.strategies.tasks.strategies_tick")
def strategies_tick() -> int:
    now = timezone.now()
    started = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_context(tenant):
            config = DunningSettings.objects.for_tenant(tenant).first()
            hour = config.local_hour if config and config.local_hour is not None else None
            day = local_run_day(tenant, now, settings.DUNNING_LOCAL_HOUR if hour is None else hour)
            if day is None:
                continue
            done = StrategyRunDay.objects.for_tenant(tenant).filter(day=day).exists()
        if not done:
            run_strategies.delay(tenant.pk, day.isoformat())
            started += 1
    return started
