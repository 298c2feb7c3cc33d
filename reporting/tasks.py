"""Celery entry points of reporting (queue `reports`). Idempotent: a
refresh recomputes the dashboard from the ledger and overwrites the cache;
a report run is guarded by its status and attempt."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.utils import timezone

from otc.ledger.services import ledger_summaries_fold
from otc.tasks import tenant_task
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant
from reporting.dashboard import executive_dashboard_refresh
from reporting.report_cache import REPORTS, report_refresh
from reporting.services.report_runs import report_run_generate
from reporting.services.subscriptions import (
    MAX_ATTEMPTS,
    report_delivery_after_run,
    report_delivery_send,
    subscriptions_start_due,
)


@tenant_task(name="reporting.tasks.refresh_executive_dashboard")
def refresh_executive_dashboard(tenant: Tenant) -> int:
    return len(executive_dashboard_refresh(tenant=tenant))


@tenant_task(name="reporting.tasks.refresh_report")
def refresh_report(tenant: Tenant, name: str) -> str:
    if name not in REPORTS:
        return "unknown report"
    report_refresh(tenant=tenant, name=name)
    return name


@tenant_task(name="reporting.tasks.generate_report_run", acks_late=True)
def generate_report_run(tenant: Tenant, run_id: int) -> str:
    """Idempotent: the run's status and attempt guard it (see
    reporting.services.report_runs); a duplicate or redelivered task finds
    the run done or held and does nothing."""
    run = report_run_generate(tenant=tenant, run_id=run_id)
    if run is None:
        return "skipped"
    report_delivery_after_run(tenant=tenant, run=run)
    return run.status


@shared_task(name="reporting.tasks.report_subscriptions_tick")
def report_subscriptions_tick() -> int:
    """Every 15 minutes: start each tenant's due scheduled reports (once per
    period, see reporting.services.subscriptions)."""
    now = timezone.now()
    started = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_context(tenant):
            started += len(subscriptions_start_due(tenant=tenant, now=now))
    return started


@shared_task(name="reporting.tasks.fold_ledger_summaries")
def fold_ledger_summaries() -> int:
    """Hourly: fold the rows the ledger's triggers appended to the reporting
    summaries (one per posting statement) into one per key, tenant by
    tenant, so the KPIs and the forecast keep reading a small table.
    Idempotent: a fold changes no figure and a second one finds nothing."""
    folded = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_context(tenant):
            folded += ledger_summaries_fold(tenant=tenant)
    return folded


# Routed to the e-mail queue (settings); retried with backoff while SMTP fails.
@tenant_task(
    name="reporting.tasks.send_report_delivery",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    max_retries=MAX_ATTEMPTS,
)
def send_report_delivery(tenant: Tenant, delivery_id: int) -> str:
    return report_delivery_send(tenant=tenant, delivery_id=delivery_id)
