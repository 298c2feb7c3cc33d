"""Celery entry points of collections: the daily dunning run and its letters.

- ``dunning_tick`` (beat, every 15 minutes): each active tenant whose local
  dunning hour has come and whose run of the local day is not selected yet
  gets a ``run_dunning`` task. Ticks that overlap enqueue twice at worst,
  which the run's (tenant, day) uniqueness and row lock make harmless.
- ``run_dunning(tenant_id, day)``: select the day's run, then one
  ``deliver_letter`` per pending letter on the "email" queue.
- ``deliver_letter(tenant_id, letter_id)``: compare-and-set on the letter,
  so a duplicate or redelivered task never sends twice.
- ``statements_tick`` (beat, every 15 minutes): on the first of the month,
  at the dunning hour, tenants whose settings ask for monthly statements
  get a ``send_statements`` task (once per tenant and period, run_once);
  each statement then goes out on the "email" queue, once per period.
- ``check_promises_all_tenants`` (beat, hourly): keeps promises whose money
  was applied and breaks those whose date passed, in each tenant's local
  day; running it again changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from collections_app.dunning.models import DunningRun, DunningSettings, RunStatus, RunTrigger
from collections_app.dunning.services.priorities import collection_priorities_compute
from collections_app.dunning.services.promises import promises_check
from otc.audit.services import Actor
from otc.tasks import run_once, tenant_task
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant

_SYSTEM = Actor.system("dunning")
_RETRY_SECONDS = (60, 120, 240, 480, 960)


@tenant_task(
    name="collections_app.dunning.tasks.run_dunning",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def run_dunning(tenant: Tenant, day: str, trigger: str = RunTrigger.SCHEDULE) -> int:
    from collections_app.dunning.services.runs import (
        dunning_run_pending_letter_ids,
        dunning_run_start,
    )

    run = dunning_run_start(
        tenant=tenant, actor=_SYSTEM, run_date=date.fromisoformat(day), trigger=trigger
    )
    letter_ids = dunning_run_pending_letter_ids(tenant=tenant, run=run)
    for letter_id in letter_ids:
        deliver_letter.delay(tenant.pk, letter_id)
    # The worklist of the day sees the levels just reached.
    collection_priorities_compute(tenant=tenant, day=run.run_date)
    return len(letter_ids)


@tenant_task(name="collections_app.dunning.tasks.deliver_letter", queue="email", acks_late=True)
def deliver_letter(tenant: Tenant, letter_id: int, attempt: int = 0) -> str:
    from collections_app.dunning.services.letters import Outcome, dunning_letter_deliver

    outcome = dunning_letter_deliver(tenant=tenant, letter_id=letter_id)
    if outcome is Outcome.RETRY:
        countdown = _RETRY_SECONDS[min(attempt, len(_RETRY_SECONDS) - 1)]
        deliver_letter.apply_async((tenant.pk, letter_id, attempt + 1), countdown=countdown)
    return str(outcome)


def local_run_day(tenant: Tenant, now: datetime, hour: int) -> date | None:
    """The tenant's local date when its dunning hour has come, else None."""
    local = now.astimezone(ZoneInfo(tenant.timezone or "UTC"))
    return local.date() if local.hour >= hour else None


@shared_task(name="collections_app.dunning.tasks.dunning_tick")
def dunning_tick() -> int:
    now = timezone.now()
    started = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_context(tenant):
            config = DunningSettings.objects.for_tenant(tenant).first()
            if config is not None and not config.is_enabled:
                continue
            hour = config.local_hour if config and config.local_hour is not None else None
            day = local_run_day(tenant, now, settings.DUNNING_LOCAL_HOUR if hour is None else hour)
            if day is None:
                continue
            done = (
                DunningRun.objects.for_tenant(tenant)
                .filter(run_date=day, status__in=[RunStatus.SELECTED, RunStatus.COMPLETED])
                .exists()
            )
        if not done:
            run_dunning.delay(tenant.pk, day.isoformat())
            started += 1
    return started


def tenant_local_day(tenant: Tenant, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tenant.timezone or "UTC")).date()


@tenant_task(name="collections_app.dunning.tasks.check_promises")
def check_promises(tenant: Tenant) -> dict[str, int]:
    day = tenant_local_day(tenant, timezone.now())
    result = promises_check(tenant=tenant, day=day)
    if result.broken:
        # A broken promise moves its customer up the worklist at once.
        collection_priorities_compute(tenant=tenant, day=day)
    return {"kept": result.kept, "broken": result.broken}


@shared_task(name="collections_app.dunning.tasks.check_promises_all_tenants")
def check_promises_all_tenants() -> int:
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        check_promises.delay(tenant_id)
    return len(tenant_ids)


@tenant_task(
    name="collections_app.dunning.tasks.send_statements",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def send_statements(tenant: Tenant, period: str) -> int:
    from collections_app.dunning.services.statements import statements_select

    delivery_ids = statements_select(tenant=tenant, period=date.fromisoformat(period))
    for delivery_id in delivery_ids:
        deliver_statement.delay(tenant.pk, delivery_id)
    return len(delivery_ids)


@tenant_task(name="collections_app.dunning.tasks.deliver_statement", queue="email", acks_late=True)
def deliver_statement(tenant: Tenant, delivery_id: int, attempt: int = 0) -> str:
    from collections_app.dunning.services.statements import statement_deliver

    outcome = statement_deliver(tenant=tenant, delivery_id=delivery_id)
    if outcome == "retry":
        countdown = _RETRY_SECONDS[min(attempt, len(_RETRY_SECONDS) - 1)]
        deliver_statement.apply_async((tenant.pk, delivery_id, attempt + 1), countdown=countdown)
    return outcome


@shared_task(name="collections_app.dunning.tasks.statements_tick")
def statements_tick() -> int:
    now = timezone.now()
    started = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_context(tenant):
            config = DunningSettings.objects.for_tenant(tenant).first()
        if config is None or not config.monthly_statements:
            continue
        hour = config.local_hour if config.local_hour is not None else settings.DUNNING_LOCAL_HOUR
        day = local_run_day(tenant, now, hour)
        if day is None or day.day != 1:
            continue
        if run_once(f"statements:{tenant.pk}:{day.isoformat()}", ttl_seconds=2 * 86400):
            send_statements.delay(tenant.pk, day.isoformat())
            started += 1
    return started
