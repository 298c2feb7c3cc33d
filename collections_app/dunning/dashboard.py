"""The collector's dashboard figures (registered in ``CollectionsAppConfig.ready``):
today's worklist, promises due, broken promises and cash collected this month."""

from __future__ import annotations

from django.urls import reverse

from collections_app.dunning.selectors import collector_figures
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm, Role, role_can
from otc.web.dashboards import DashboardFigure
from otc.web.templatetags.otc_format import format_money


def collections_figures(tenant: Tenant, viewer: Role) -> list[DashboardFigure]:
    if not role_can(viewer, Perm.COLLECTIONS_VIEW):
        return []
    figures = collector_figures(tenant=tenant, day=tenant_today(tenant))
    worklist_url = reverse("collections:worklist")
    currency = figures.base_currency
    locale = tenant.locale
    return [
        DashboardFigure(
            label="Customers to chase today",
            value=f"{figures.worklist_size:,}",
            note=f"{format_money(figures.overdue_base_amount, currency, locale)} overdue",
            url=worklist_url,
            testid="collections-worklist",
        ),
        DashboardFigure(
            label="Promises due today",
            value=f"{figures.promises_due_today:,}",
            note=f"{figures.broken_promises_7d:,} broken in the last 7 days",
            url=worklist_url,
            testid="collections-promises",
        ),
        DashboardFigure(
            label="Collected this month",
            value=format_money(figures.collected_this_month, currency, locale),
            note="cash applied to invoices since the 1st",
            is_money=True,
            url=reverse("collections:runs"),
            testid="collections-collected",
        ),
    ]
