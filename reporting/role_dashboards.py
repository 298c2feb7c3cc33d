"""The panels of the credit, collector, AR clerk and deductions analyst
dashboards (registered with the kernel's dashboard in
``ReportingConfig.ready``). The apps' own figures stay as the tiles on top;
these panels add the charts (server-rendered SVG from reporting.charts, the
same markup the PDF reports use) and the short lists behind the figures.

Every panel is one or two aggregate statements over indexed columns and the
ledger's per-customer summaries, so they are computed on each view
(bench/role_dashboards.py times them on a large tenant) and never show a
stale figure to someone working the queue.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse

from collections_app.selectors import collector_figures, promises_broken_recently, promises_due
from credit.selectors import held_order_queue, reviews_due
from deductions.selectors import QueueFilters, deduction_queue
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm, Role, role_can
from otc.web.dashboards import DashboardPanel
from otc.web.templatetags.otc_format import format_money
from reporting.charts import Bar, aging_chart, bar_chart, grouped_bar_chart
from reporting.selectors.aging import AgingQuery, aging_report
from reporting.selectors.common import BookFilter
from reporting.selectors.role_dashboards import (
    collection_target,
    exposure_by_risk_class,
    invoices_to_send,
    largest_over_limit,
    open_deductions_by_age,
    statements_imported_on,
    unapplied_cash_queue,
)

LIST_LIMIT = 8
DEDUCTION_AGE_COLOURS = ("#2e7d32", "#f9a825", "#ef6c00", "#b71c1c")


def _context(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {"base_currency": str(tenant.base_currency), "current_tenant": tenant, **extra}


def _panel(template: str, tenant: Tenant, **extra: Any) -> str:
    return render_to_string(f"reporting/role_panels/{template}", _context(tenant, **extra))


# --- credit ---------------------------------------------------------------------------


def credit_panels(tenant: Tenant, viewer: Role, user: object = None) -> list[DashboardPanel]:
    if not role_can(viewer, Perm.CREDIT_VIEW):
        return []
    base = str(tenant.base_currency)
    classes = exposure_by_risk_class(tenant=tenant)
    chart = grouped_bar_chart(
        [f"Class {row.risk_class}" for row in classes],
        [
            ("Exposure", [row.exposure for row in classes]),
            ("Credit limits", [row.credit_limit for row in classes]),
        ],
        title=f"Exposure and credit limits by risk class ({base})",
        captions=[
            "—" if row.utilisation_percent is None else f"{row.utilisation_percent} % used"
            for row in classes
        ],
    )
    held = held_order_queue(tenant=tenant)
    dashboard_url = reverse("credit:dashboard")
    return [
        DashboardPanel(
            title=f"Exposure and utilisation by risk class ({base})",
            html=_panel("credit_classes.html", tenant, chart=chart, classes=classes),
            testid="credit-classes",
            url=dashboard_url,
            wide=True,
        ),
        DashboardPanel(
            title="Largest exposures over limit",
            html=_panel(
                "credit_over_limit.html",
                tenant,
                customers=largest_over_limit(tenant=tenant, limit=LIST_LIMIT),
            ),
            testid="credit-over-limit",
            url=dashboard_url,
        ),
        DashboardPanel(
            title="Holds waiting",
            html=_panel("credit_holds.html", tenant, orders=list(held[:LIST_LIMIT])),
            testid="credit-holds",
            url=dashboard_url,
        ),
        DashboardPanel(
            title="Reviews due",
            html=_panel(
                "credit_reviews.html",
                tenant,
                profiles=list(reviews_due(tenant=tenant)[:LIST_LIMIT]),
                today=tenant_today(tenant),
            ),
            testid="credit-reviews",
            url=reverse("credit:reviews"),
        ),
    ]


# --- collector ------------------------------------------------------------------------


def collector_panels(tenant: Tenant, viewer: Role, user: object = None) -> list[DashboardPanel]:
    """A collector sees their own customers; the roles that may open this
    dashboard as overseers see the whole team."""
    if not role_can(viewer, Perm.COLLECTIONS_VIEW):
        return []
    collector_id = getattr(user, "pk", None) if viewer == Role.COLLECTOR else None
    whose = "my customers" if collector_id is not None else "all collectors"
    today = tenant_today(tenant)
    base = str(tenant.base_currency)
    figures = collector_figures(tenant=tenant, day=today, collector_id=collector_id)
    target = collection_target(tenant=tenant, collector_id=collector_id)
    progress = (
        (figures.collected_this_month * 100 / target).quantize(Decimal("0.1")) if target else None
    )
    aging = aging_report(
        tenant=tenant,
        query=AgingQuery(as_of=today, book=BookFilter(collector_id=collector_id)),
        page_size=1,
    )
    totals = aging.totals[0] if aging.totals else None
    labels = [bucket.label for bucket in aging.buckets]
    amounts = totals.buckets if totals else [Decimal(0)] * len(labels)
    worklist_url = reverse("collections:worklist")
    return [
        DashboardPanel(
            title=f"This month, {whose}",
            html=_panel(
                "collector_month.html",
                tenant,
                figures=figures,
                target=target,
                progress=progress,
                progress_width=min(progress, Decimal(100)) if progress is not None else None,
            ),
            testid="collector-month",
            url=worklist_url,
        ),
        DashboardPanel(
            title=f"Aging, {whose} ({base})",
            html=_panel(
                "collector_aging.html",
                tenant,
                chart=aging_chart(labels, amounts, currency=base),
                totals=totals,
            ),
            testid="collector-aging",
            url=reverse("reporting:aging")
            + (f"?collector={collector_id}" if collector_id is not None else ""),
        ),
        DashboardPanel(
            title="Promises due today",
            html=_panel(
                "collector_promises.html",
                tenant,
                promises=list(
                    promises_due(tenant=tenant, day=today, collector_id=collector_id).filter(
                        promised_date=today
                    )[:LIST_LIMIT]
                ),
                empty="No promise falls due today.",
            ),
            testid="collector-promises-due",
            url=worklist_url,
        ),
        DashboardPanel(
            title="Broken promises, last 7 days",
            html=_panel(
                "collector_promises.html",
                tenant,
                promises=list(
                    promises_broken_recently(
                        tenant=tenant,
                        since=today - timedelta(days=7),
                        collector_id=collector_id,
                    )[:LIST_LIMIT]
                ),
                empty="No promise was broken in the last 7 days.",
            ),
            testid="collector-promises-broken",
            url=worklist_url,
        ),
    ]


# --- AR clerk -------------------------------------------------------------------------


def ar_clerk_panels(tenant: Tenant, viewer: Role, user: object = None) -> list[DashboardPanel]:
    panels: list[DashboardPanel] = []
    today = tenant_today(tenant)
    if role_can(viewer, Perm.CASH_VIEW):
        queue = unapplied_cash_queue(tenant=tenant, today=today)
        statements = statements_imported_on(tenant=tenant, day=today)
        panels += [
            DashboardPanel(
                title="Unapplied cash and the manual queue",
                html=_panel(
                    "ar_cash_queue.html",
                    tenant,
                    queue=queue,
                    oldest_days=(today - queue.oldest_value_date).days
                    if queue.oldest_value_date
                    else None,
                ),
                testid="ar-cash-queue",
                url=reverse("cash:queue"),
            ),
            DashboardPanel(
                title="Bank statements imported today",
                html=_panel("ar_statements.html", tenant, statements=statements),
                testid="ar-statements",
                url=reverse("cash:statements"),
            ),
        ]
    if role_can(viewer, Perm.INVOICES_VIEW):
        panels.append(
            DashboardPanel(
                title="Invoices to issue and send",
                html=_panel("ar_invoices.html", tenant, invoices=invoices_to_send(tenant=tenant)),
                testid="ar-invoices",
                url=reverse("invoicing:outbox"),
            )
        )
    return panels


# --- deductions analyst ---------------------------------------------------------------


def deduction_panels(tenant: Tenant, viewer: Role, user: object = None) -> list[DashboardPanel]:
    if not role_can(viewer, Perm.DEDUCTIONS_VIEW):
        return []
    today = tenant_today(tenant)
    base = str(tenant.base_currency)
    by_age = open_deductions_by_age(tenant=tenant, today=today)
    chart = bar_chart(
        [
            Bar(
                bucket.label,
                bucket.base_amount,
                DEDUCTION_AGE_COLOURS[min(index, len(DEDUCTION_AGE_COLOURS) - 1)],
                f"{bucket.label}: {bucket.count} open, "
                f"{format_money(bucket.base_amount, base, tenant.locale)}",
            )
            for index, bucket in enumerate(by_age)
        ],
        title=f"Open deductions by age ({base})",
    )
    queue_url = reverse("deductions:queue")
    breached = deduction_queue(
        tenant=tenant, filters=QueueFilters(sla_breached=True), today=today
    ).order_by("research_due", "pk")
    panels = [
        DashboardPanel(
            title=f"Queue by age and value ({base})",
            html=_panel("deductions_age.html", tenant, chart=chart, buckets=by_age),
            testid="deductions-age",
            url=queue_url,
        ),
        DashboardPanel(
            title="Research past its SLA",
            html=_panel(
                "deductions_list.html",
                tenant,
                deductions=list(breached[:LIST_LIMIT]),
                today=today,
                empty="Every open deduction is within its research SLA.",
            ),
            testid="deductions-sla",
            url=f"{queue_url}?sla=on",
        ),
    ]
    user_id = getattr(user, "pk", None)
    if user_id is not None:
        mine = deduction_queue(
            tenant=tenant, filters=QueueFilters(owner_id=user_id), today=today
        ).order_by("research_due", "pk")
        panels.append(
            DashboardPanel(
                title="My deductions",
                html=_panel(
                    "deductions_list.html",
                    tenant,
                    deductions=list(mine[:LIST_LIMIT]),
                    today=today,
                    empty="Nothing is assigned to you.",
                ),
                testid="deductions-mine",
                url=f"{queue_url}?owner={user_id}",
            )
        )
    return panels
