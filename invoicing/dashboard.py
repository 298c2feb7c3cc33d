"""The AR clerk's invoicing figures: drafts waiting to be issued, overdue
documents and e-mail deliveries that failed (registered with the kernel's
dashboard in ``InvoicingConfig.ready``)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum
from django.urls import reverse

from invoicing import selectors
from invoicing.models import DeliveryStatus, InvoiceKind, InvoiceStatus
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm, Role, role_can
from otc.web.dashboards import DashboardFigure
from otc.web.templatetags.otc_format import format_money


def invoicing_figures(tenant: Tenant, viewer: Role) -> list[DashboardFigure]:
    if not role_can(viewer, Perm.INVOICES_VIEW):
        return []
    drafts = selectors.invoice_list(tenant=tenant, status=InvoiceStatus.DRAFT).count()
    overdue = selectors.invoice_list(
        tenant=tenant, kind=InvoiceKind.INVOICE, overdue=True
    ).aggregate(count=Count("pk"), open=Sum("open_base_now"))
    failed = selectors.delivery_status_counts(tenant=tenant).get(DeliveryStatus.FAILED, 0)
    base = str(tenant.base_currency)
    list_url = reverse("invoicing:list")
    return [
        DashboardFigure(
            label="Drafts to issue",
            value=f"{drafts:,}",
            note="invoices and memos not yet issued",
            url=f"{list_url}?status={InvoiceStatus.DRAFT}",
            testid="invoices-drafts",
        ),
        DashboardFigure(
            label="Overdue invoices",
            value=f"{overdue['count']:,}",
            note=f"{format_money(overdue['open'] or Decimal(0), base)} open",
            url=f"{list_url}?overdue=yes",
            testid="invoices-overdue",
        ),
        DashboardFigure(
            label="Deliveries failed",
            value=f"{failed:,}",
            note="e-mails to retry or correct" if failed else "every e-mail went out",
            url=reverse("invoicing:outbox"),
            testid="invoices-delivery-failed",
        ),
    ]
