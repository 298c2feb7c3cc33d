"""The executive dashboard's panels (registered with the kernel's
dashboard in ``ReportingConfig.ready``): KPI tiles with trend arrows, the
aging, the DSO trend, the cash forecast, the customers most overdue and
deductions by reason.

Rendered once and cached, keyed on the tenant's last ledger posting (every
item and application posts one). At a million items the figures take tens
of seconds to compute, far too long for a page, so when a posting has
moved the key the page serves the last rendering (stamped with its time)
and a Celery task on the reports queue renders the new one; only a tenant's
very first view computes in the request.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Count, F, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from deductions.models import Deduction
from otc.ledger.models import ItemStatus
from otc.ledger.selectors import ledger_version
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm, Role, role_can
from otc.web.dashboards import DashboardPanel
from otc.web.templatetags.otc_format import format_money
from reporting.charts import aging_chart
from reporting.presentation import dso_trend_chart, forecast_chart, kpi_tiles
from reporting.selectors.aging import AgingQuery, aging_report, top_overdue_customers
from reporting.selectors.forecast import cash_forecast
from reporting.selectors.kpis import kpi_months

CACHE_SECONDS = 300
LATEST_SECONDS = 24 * 3600
REFRESH_LOCK_SECONDS = 120
TREND_MONTHS = 12


def _cache_key(tenant: Tenant) -> str:
    last = ledger_version(tenant=tenant)
    return f"reporting:executive:v2:{tenant.pk}:{last}:{tenant_today(tenant).isoformat()}"


def _latest_key(tenant: Tenant) -> str:
    return f"reporting:executive:v2:{tenant.pk}:latest"


def executive_dashboard_refresh(*, tenant: Tenant) -> list[dict[str, object]]:
    """Render the panels now and cache them under the current key and as
    the tenant's latest rendering."""
    key = _cache_key(tenant)
    rendered = _render(tenant)
    cache.set(key, rendered, CACHE_SECONDS)
    cache.set(_latest_key(tenant), rendered, LATEST_SECONDS)
    cache.delete(f"{_latest_key(tenant)}:refreshing")
    return rendered


def executive_panels(tenant: Tenant, viewer: Role, user: object = None) -> list[DashboardPanel]:
    if not role_can(viewer, Perm.REPORTS_VIEW):
        return []
    cached = cache.get(_cache_key(tenant))
    if cached is None:
        cached = cache.get(_latest_key(tenant))
        if cached is None:
            cached = executive_dashboard_refresh(tenant=tenant)
        elif cache.add(f"{_latest_key(tenant)}:refreshing", 1, REFRESH_LOCK_SECONDS):
            # One refresh at a time per tenant, whoever opens the page.
            from reporting.tasks import refresh_executive_dashboard

            refresh_executive_dashboard.delay_on_commit(tenant.pk)
    # Rendered by our own templates (autoescaped) before caching.
    return [
        DashboardPanel(**{**panel, "html": mark_safe(panel["html"])})  # noqa: S308
        for panel in cached
    ]


def _render(tenant: Tenant) -> list[dict[str, object]]:
    base = str(tenant.base_currency)
    months = kpi_months(tenant=tenant, months=TREND_MONTHS)
    aging = aging_report(tenant=tenant, query=AgingQuery(as_of=tenant_today(tenant)), page_size=1)
    totals = aging.totals[0] if aging.totals else None
    labels = [bucket.label for bucket in aging.buckets]
    amounts = totals.buckets if totals else [Decimal(0)] * len(labels)
    forecast = cash_forecast(tenant=tenant)
    deductions = (
        Deduction.objects.for_tenant(tenant)
        .filter(open_item__status=ItemStatus.OPEN)
        # Our reason code (mapped or set by an analyst), not the customer's claim code.
        .values(reason_label=F("reason__name"))
        .annotate(count=Count("pk"), open_base=Sum("open_item__open_base_amount"))
        .order_by("-open_base")[:8]
    )
    context = {"base_currency": base, "current_tenant": tenant}
    stamp = timezone.localtime(timezone=ZoneInfo(tenant.timezone)).strftime("%d %b %Y %H:%M")
    panels: list[dict[str, object]] = [
        {
            "title": f"Key figures this month (computed {stamp})",
            "html": render_to_string(
                "reporting/_kpi_tiles.html", {"tiles": kpi_tiles(months), **context}
            ),
            "testid": "executive-kpis",
            "url": reverse("reporting:kpis"),
            "wide": True,
        },
        {
            "title": f"Aging today ({base})",
            "html": render_to_string(
                "reporting/panels/aging.html",
                {"chart": aging_chart(labels, amounts, currency=base), "totals": totals, **context},
            ),
            "testid": "executive-aging",
            "url": reverse("reporting:aging"),
        },
        {
            "title": "DSO trend",
            "html": render_to_string(
                "reporting/panels/chart.html",
                {"chart": dso_trend_chart(months), "note": "Days, at each month end."},
            ),
            "testid": "executive-dso",
            "url": reverse("reporting:kpis"),
        },
        {
            "title": f"Cash forecast, next 13 weeks ({base})",
            "html": render_to_string(
                "reporting/panels/chart.html",
                {
                    "chart": forecast_chart(forecast),
                    "note": "Expected receipts per week: "
                    f"{format_money(forecast.total_base, base, tenant.locale)} in all, from each "
                    "customer's recent payment habits.",
                },
            ),
            "testid": "executive-forecast",
            "url": reverse("reporting:cash_forecast"),
        },
        {
            "title": "Most overdue customers",
            "html": render_to_string(
                "reporting/panels/overdue.html",
                {"customers": top_overdue_customers(tenant=tenant, limit=8), **context},
            ),
            "testid": "executive-overdue",
        },
        {
            "title": "Open deductions by reason",
            "html": render_to_string(
                "reporting/panels/deductions.html", {"rows": list(deductions), **context}
            ),
            "testid": "executive-deductions",
        },
    ]
    # SafeStrings do not survive pickling as safe: store plain text, mark on the way out.
    return [{**panel, "html": str(panel["html"])} for panel in panels]
