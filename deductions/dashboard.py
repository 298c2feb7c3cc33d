"""The deductions analyst's dashboard figures (registered with the kernel's
dashboard in ``DeductionsConfig.ready``): open deductions, SLA breaches,
write-offs waiting for approval and Days Deductions Outstanding, each
linking to the queue behind it."""

from __future__ import annotations

from django.urls import reverse

from deductions import selectors
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm, Role, role_can
from otc.web.dashboards import DashboardFigure
from otc.web.templatetags.otc_format import format_money


def deduction_figures(tenant: Tenant, viewer: Role) -> list[DashboardFigure]:
    if not role_can(viewer, Perm.DEDUCTIONS_VIEW):
        return []
    figures = selectors.deduction_figures(tenant=tenant, today=tenant_today(tenant))
    queue = reverse("deductions:queue")
    top = figures.by_reason[0] if figures.by_reason else None
    ddo = figures.days_deductions_outstanding
    return [
        DashboardFigure(
            label="Open deductions",
            value=f"{figures.open_count:,}",
            note=format_money(figures.open_base, figures.base_currency)
            + (f"; most for {top.label}" if top else ""),
            url=queue,
            testid="deductions-open",
        ),
        DashboardFigure(
            label="Research past its SLA",
            value=f"{figures.sla_breached:,}",
            note="research due date passed",
            url=f"{queue}?sla=on",
            testid="deductions-sla",
        ),
        DashboardFigure(
            label="Write-offs waiting for approval",
            value=f"{figures.pending_approvals:,}",
            note="above the requester's approval limit",
            url=queue,
            testid="deductions-approvals",
        ),
        DashboardFigure(
            label="Days Deductions Outstanding",
            value="—" if ddo is None else f"{ddo}",
            note="open deductions against 90 days' billing",
            url=queue,
            testid="deductions-ddo",
        ),
    ]
