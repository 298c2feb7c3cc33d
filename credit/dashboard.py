"""The credit team's dashboard figures: holds waiting, applications to
decide, reviews falling due and customers near their limit (registered with
the kernel's dashboard in ``CreditConfig.ready``). Each figure links to the
worklist behind it."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum
from django.urls import reverse

from credit import selectors
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm, Role, role_can
from otc.web.dashboards import DashboardFigure
from otc.web.templatetags.otc_format import format_money


def credit_figures(tenant: Tenant, viewer: Role) -> list[DashboardFigure]:
    if not role_can(viewer, Perm.CREDIT_VIEW):
        return []
    base = str(tenant.base_currency)
    held = selectors.held_order_queue(tenant=tenant).aggregate(
        count=Count("pk"), value=Sum("base_amount")
    )
    reviews = selectors.reviews_due(tenant=tenant)
    overdue_reviews = reviews.filter(next_review_date__lt=tenant_today(tenant)).count()
    near_limit = selectors.customers_over_utilization_count(tenant=tenant)
    applications = selectors.applications_to_decide(tenant=tenant).count()
    dashboard_url = reverse("credit:dashboard")
    return [
        DashboardFigure(
            label="Orders on credit hold",
            value=f"{held['count']:,}",
            note=(
                f"{format_money(held['value'] or Decimal(0), base)} waiting"
                if held["count"]
                else "nothing waiting"
            ),
            url=dashboard_url,
            testid="credit-held",
        ),
        DashboardFigure(
            label="Applications to decide",
            value=f"{applications:,}",
            note="new customers and limit changes",
            url=reverse("credit:applications"),
            testid="credit-applications",
        ),
        DashboardFigure(
            label="Reviews due in 30 days",
            value=f"{reviews.count():,}",
            note=f"{overdue_reviews:,} overdue" if overdue_reviews else "none overdue",
            url=reverse("credit:reviews"),
            testid="credit-reviews",
        ),
        DashboardFigure(
            label="Customers at 90 % of limit",
            value=f"{near_limit:,}",
            note="exposure against limit",
            url=dashboard_url,
            testid="credit-near-limit",
        ),
    ]
