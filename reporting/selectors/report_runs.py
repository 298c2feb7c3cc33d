"""Reading report runs and scheduled reports (tenant-scoped; another tenant's run is NotFound,
like a missing one)."""

from __future__ import annotations

from django.db.models import QuerySet

from otc.accounts.models import User
from otc.errors import NotFound
from otc.tenancy.models import Tenant
from reporting.models import ReportDelivery, ReportRun, ReportSubscription


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


def subscription_list(*, tenant: Tenant, user: User) -> QuerySet[ReportSubscription]:
    return (
        ReportSubscription.objects.for_tenant(tenant)
        .filter(user=user)
        .order_by("-created_at", "-pk")
    )


def delivery_list(*, tenant: Tenant, user: User, limit: int = 20) -> QuerySet[ReportDelivery]:
    return (
        ReportDelivery.objects.for_tenant(tenant)
        .filter(subscription__user=user)
        .select_related("subscription", "run")
        .order_by("-created_at", "-pk")[:limit]
    )
