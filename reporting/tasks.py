"""Celery entry points of reporting (queue `reports`). Idempotent: a
refresh recomputes the dashboard from the ledger and overwrites the cache;
a report run is guarded by its status and attempt."""

from __future__ import annotations

from otc.tasks import tenant_task
from otc.tenancy.models import Tenant
from reporting.dashboard import executive_dashboard_refresh
from reporting.report_cache import REPORTS, report_refresh
from reporting.services.report_runs import report_run_generate


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
    return run.status if run is not None else "skipped"
