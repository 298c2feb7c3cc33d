"""Reading report runs (tenant-scoped; another tenant's run is NotFound,
like a missing one)."""

from __future__ import annotations

from django.db.models import QuerySet

from otc.accounts.models import User
from otc.errors import NotFound
from otc.tenancy.models import Tenant
from reporting.models import ReportRun


def report_run_list(*, tenant: Tenant, requested_by: User | None = None) -> QuerySet[ReportRun]:
    runs = ReportRun.objects.for_tenant(tenant).select_related("requested_by")
    if requested_by is not None:
        runs = runs.filter(requested_by=requested_by)
    return runs.order_by("-created_at", "-pk")


def report_run_get(*, tenant: Tenant, run_id: int) -> ReportRun:
    run = ReportRun.objects.for_tenant(tenant).filter(pk=run_id).first()
    if run is None:
        raise NotFound("No such report.")
    return run
