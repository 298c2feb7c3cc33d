"""The AR clerk's dashboard figures: the manual queue and the auto-match
rate of the last 30 days (registered with the kernel's dashboard in
``CollectionsAppConfig.ready``)."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from collections_app.selectors import cash_metrics
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm, Role, role_can
from otc.web.dashboards import DashboardFigure


def cash_figures(tenant: Tenant, viewer: Role) -> list[DashboardFigure]:
    if not role_can(viewer, Perm.CASH_VIEW):
        return []
    today = tenant_today(tenant)
    metrics = cash_metrics(tenant=tenant, date_from=today - timedelta(days=30), date_to=today)
    queue_note = " · ".join(
        f"{amount} {currency}" for currency, amount in metrics.queue_amount_by_currency.items()
    )
    rate = (
        f"{metrics.auto_rate_by_count * 100:.1f} %"
        if metrics.auto_rate_by_count is not None
        else "—"
    )
    precision = (
        f"precision {metrics.precision * 100:.1f} %" if metrics.precision is not None else ""
    )
    url = reverse("cash:queue")
    return [
        DashboardFigure(
            label="Cash to apply",
            value=f"{metrics.queue_size:,}",
            note=queue_note or "nothing waiting",
            url=url,
            testid="cash-queue",
        ),
        DashboardFigure(
            label="Auto-applied, 30 days",
            value=rate,
            note=f"{metrics.auto_applied_payments:,} of {metrics.payments:,} payments"
            + (f"; {precision}" if precision else ""),
            url=url,
            testid="cash-auto-rate",
        ),
    ]
