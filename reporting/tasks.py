"""Celery entry points of reporting (queue `reports`). Idempotent: a
refresh recomputes the dashboard from the ledger and overwrites the cache."""

from __future__ import annotations

from otc.tasks import tenant_task
from otc.tenancy.models import Tenant
from reporting.dashboard import executive_dashboard_refresh
from reporting.report_cache import REPORTS, report_refresh


@tenant_task(name="reporting.tasks.refresh_executive_dashboard")
def refresh_executive_dashboard(tenant: Tenant) -> int:
    return len(executive_dashboard_refresh(tenant=tenant))


@tenant_task(name="reporting.tasks.refresh_report")
def refresh_report(tenant: Tenant, name: str) -> str:
    if name not in REPORTS:
        return "unknown report"
    report_refresh(tenant=tenant, name=name)
    return name
