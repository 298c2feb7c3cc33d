"""Reading returns and refunds, always within one tenant: the lists with
their filters, one return with its lines, what an invoice can still return,
which credit a customer can be refunded, the transfer files, and counts for
the figures page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from deductions.models import (
    Refund,
    RefundExport,
    RefundStatus,
    ReturnAuthorisation,
    ReturnLine,
    ReturnStatus,
)
from deductions.services.refunds import REFUNDABLE_KINDS
from deductions.services.returns import returned_quantities
from invoicing.models import Invoice, InvoiceLine
from otc.ledger.models import ItemStatus, OpenItem
from otc.tenancy.models import Tenant


def return_list(
    *, tenant: Tenant, status: str = "", search: str = ""
) -> QuerySet[ReturnAuthorisation]:
    rows = ReturnAuthorisation.objects.for_tenant(tenant).select_related(
        "customer", "invoice", "reason", "credit_memo"
    )
    if status:
        rows = rows.filter(status=status)
    if search:
        rows = rows.filter(number__icontains=search) | rows.filter(
            invoice__number__icontains=search
        )
    return rows


def return_get(*, tenant: Tenant, rma_id: int) -> ReturnAuthorisation | None:
    return (
        ReturnAuthorisation.objects.for_tenant(tenant)
        .select_related("customer", "invoice", "reason", "credit_memo", "requested_by")
        .filter(pk=rma_id)
        .first()
    )


def return_lines(*, tenant: Tenant, rma: ReturnAuthorisation) -> QuerySet[ReturnLine]:
    return (
        ReturnLine.objects.for_tenant(tenant)
        .select_related("invoice_line")
        .filter(rma=rma)
        .order_by("invoice_line__position", "id")
    )


@dataclass(frozen=True)
class ReturnableLine:
    line: InvoiceLine
    returned: Decimal

    @property
    def available(self) -> Decimal:
        return self.line.quantity - self.returned


def returnable_lines(*, tenant: Tenant, invoice: Invoice) -> list[ReturnableLine]:
    """The invoice's lines with what returns already took back of each."""
    lines = list(
        InvoiceLine.objects.for_tenant(tenant).filter(invoice=invoice).order_by("position")
    )
    returned = returned_quantities(tenant=tenant, invoice_line_ids=[line.pk for line in lines])
    return [ReturnableLine(line, returned.get(line.pk, Decimal(0))) for line in lines]


def refund_list(*, tenant: Tenant, status: str = "", search: str = "") -> QuerySet[Refund]:
    rows = Refund.objects.for_tenant(tenant).select_related(
        "customer", "credit_item", "export", "rma"
    )
    if status:
        rows = rows.filter(status=status)
    if search:
        rows = rows.filter(number__icontains=search) | rows.filter(
            customer__legal_name__icontains=search
        )
    return rows


def refund_get(*, tenant: Tenant, refund_id: int) -> Refund | None:
    return (
        Refund.objects.for_tenant(tenant)
        .select_related(
            "customer", "credit_item", "refund_item", "export", "rma", "requested_by", "approved_by"
        )
        .filter(pk=refund_id)
        .first()
    )


def refundable_credit(*, tenant: Tenant, search: str = "") -> QuerySet[OpenItem]:
    """Open payments and credit memos: the credit a refund can pay back."""
    rows = (
        OpenItem.objects.for_tenant(tenant)
        .select_related("customer")
        .filter(kind__in=sorted(REFUNDABLE_KINDS), status=ItemStatus.OPEN)
        .order_by("customer__legal_name", "document_date", "pk")
    )
    if search:
        rows = rows.filter(number__icontains=search) | rows.filter(
            customer__legal_name__icontains=search
        )
    return rows


def refund_exports(*, tenant: Tenant) -> QuerySet[RefundExport]:
    return RefundExport.objects.for_tenant(tenant).select_related("created_by")


@dataclass(frozen=True)
class ReturnRefundCounts:
    returns_open: int
    returns_by_status: dict[str, int]
    refunds_waiting: int
    refunds_to_export: int
    refunded_by_currency: dict[str, Decimal]


def return_refund_counts(*, tenant: Tenant) -> ReturnRefundCounts:
    returns = dict(
        ReturnAuthorisation.objects.for_tenant(tenant)
        .values_list("status")
        .annotate(count=Count("pk"))
        .order_by("status")
    )
    refunds = dict(
        Refund.objects.for_tenant(tenant)
        .values_list("status")
        .annotate(count=Count("pk"))
        .order_by("status")
    )
    paid = dict(
        Refund.objects.for_tenant(tenant)
        .filter(status__in=[RefundStatus.APPROVED, RefundStatus.EXPORTED])
        .values_list("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    open_statuses = {ReturnStatus.REQUESTED, ReturnStatus.AUTHORISED, ReturnStatus.RECEIVED}
    return ReturnRefundCounts(
        returns_open=sum(count for status, count in returns.items() if status in open_statuses),
        returns_by_status={
            str(label): returns.get(value, 0) for value, label in ReturnStatus.choices
        },
        refunds_waiting=refunds.get(RefundStatus.PENDING_APPROVAL, 0),
        refunds_to_export=refunds.get(RefundStatus.APPROVED, 0),
        refunded_by_currency={str(k): v for k, v in paid.items()},
    )
