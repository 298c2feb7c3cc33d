"""Reads of invoicing, for this app and every other one. Each selector takes
the tenant explicitly; another tenant's id reads as missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from invoicing.models import (
    Invoice,
    InvoiceDelivery,
    InvoiceDocumentFile,
    InvoiceInstallment,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
)
from invoicing.open_items import (
    OPEN_STATUSES,
    document_open_amounts,
    invoice_open_items,
    open_total,
    overdue_condition,
    with_open_amounts,
)
from invoicing.totals import TaxGroup, tax_summary
from otc.audit.models import AuditEvent
from otc.errors import NotFound
from otc.ledger.models import ApplicationKind, OpenItem, amount_field
from otc.ledger.selectors import item_applications
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

__all__ = [
    "OPEN_STATUSES",
    "document_open_amounts",
    "invoice_open_items",
    "open_total",
    "overdue_condition",
    "with_open_amounts",
]


def _as_id(value: int | str | None) -> int | None:
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    # Ids outside bigint would make Postgres raise instead of "not found".
    return number if 0 < number < 2**63 else None


@dataclass(frozen=True)
class InstallmentRow:
    """One part of a split invoice as people and ERPs read it."""

    sequence: int
    share_percent: Decimal
    due_date: date
    amount: Decimal
    base_amount: Decimal
    open_amount: Decimal
    is_overdue: bool


def invoice_installment_rows(*, tenant: Tenant, invoice: Invoice) -> list[InstallmentRow]:
    """The payment schedule of a split invoice with what is still open on each
    part; [] for a document owed as one item."""
    if not invoice.installment_count:
        return []
    today = tenant_today(tenant)
    parts = (
        InvoiceInstallment.objects.for_tenant(tenant)
        .filter(invoice=invoice)
        .select_related("open_item")
        .order_by("sequence")
    )
    return [
        InstallmentRow(
            sequence=part.sequence,
            share_percent=part.share_percent,
            due_date=part.due_date,
            amount=part.amount,
            base_amount=part.base_amount,
            open_amount=abs(part.open_item.open_amount),
            is_overdue=part.open_item.open_amount != 0 and part.due_date < today,
        )
        for part in parts
    ]


def invoice_list(
    *,
    tenant: Tenant,
    kind: str | None = None,
    status: str = "",
    customer_id: int | None = None,
    currency: str = "",
    due_before: date | None = None,
    due_after: date | None = None,
    overdue: bool | None = None,
    updated_since: datetime | None = None,
    external_ref: str = "",
    q: str = "",
    customer_query: str = "",
) -> QuerySet[Invoice]:
    """Documents matching every filter given. `due_before` / `due_after` are
    inclusive; `overdue` means issued or partly paid and due before today (in
    the tenant's time zone). Unordered: callers sort (lists, cursors)."""
    invoices = with_open_amounts(
        Invoice.objects.for_tenant(tenant).select_related("customer", "open_item")
    )
    if kind:
        invoices = invoices.filter(kind=kind)
    if status:
        invoices = invoices.filter(status=status)
    if customer_id is not None:
        invoices = invoices.filter(customer_id=customer_id)
    if currency:
        invoices = invoices.filter(currency=currency.upper())
    if due_before is not None:
        invoices = invoices.filter(due_date__lte=due_before)
    if due_after is not None:
        invoices = invoices.filter(due_date__gte=due_after)
    if overdue is not None:
        late = overdue_condition(today=tenant_today(tenant))
        invoices = invoices.filter(late) if overdue else invoices.exclude(late)
    if updated_since is not None:
        invoices = invoices.filter(updated_at__gte=updated_since)
    if external_ref:
        invoices = invoices.filter(external_ref=external_ref)
    customer_query = customer_query.strip()
    if customer_query:
        invoices = invoices.filter(
            Q(customer__number__iexact=customer_query)
            | Q(customer__legal_name__icontains=customer_query)
            | Q(customer__trading_name__icontains=customer_query)
        )
    q = q.strip()
    if q:
        invoices = invoices.filter(
            Q(number__icontains=q)
            | Q(external_ref__icontains=q)
            | Q(po_number__icontains=q)
            | Q(customer__legal_name__icontains=q)
            | Q(customer__number__iexact=q)
        )
    return invoices


def invoice_get(*, tenant: Tenant, invoice_id: int | str) -> Invoice:
    pk = _as_id(invoice_id)
    invoice = (
        with_open_amounts(Invoice.objects.for_tenant(tenant))
        .select_related(
            "customer", "payment_terms", "open_item", "related_invoice", "cancellation_memo"
        )
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


def invoice_get_by_external_ref(*, tenant: Tenant, external_ref: str) -> Invoice:
    invoice = Invoice.objects.for_tenant(tenant).filter(external_ref=external_ref).first()
    if invoice is None:
        raise NotFound("No invoice has this external reference.")
    return invoice


def invoice_lines(*, tenant: Tenant, invoice: Invoice) -> list[InvoiceLine]:
    return list(InvoiceLine.objects.for_tenant(tenant).filter(invoice=invoice))


def invoice_tax_summary(*, lines: list[InvoiceLine], currency: str) -> tuple[TaxGroup, ...]:
    """The tax summary per category and rate, from the stored line nets, by
    the same rule that computed the stored totals."""
    return tax_summary(
        ((line.tax_category, line.tax_rate, line.line_net) for line in lines), currency=currency
    )


def invoice_memos(*, tenant: Tenant, invoice: Invoice) -> list[Invoice]:
    """Credit and debit memos that refer to this document, oldest first."""
    return list(Invoice.objects.for_tenant(tenant).filter(related_invoice=invoice).order_by("pk"))


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    gross: Decimal
    open: Decimal


def invoice_totals_by_currency(*, invoices: QuerySet[Invoice]) -> list[CurrencyTotal]:
    """Per currency over a filtered list: how many documents, what they bill
    (credit memos subtract, so a cancelled invoice and its memo net to zero;
    discarded drafts count for nothing) and what is still open in the ledger."""
    signed_gross = Case(
        When(kind=InvoiceKind.CREDIT_MEMO, then=-F("gross_amount")),
        default=F("gross_amount"),
        output_field=amount_field(),
    )
    zero = Value(Decimal(0), output_field=amount_field())
    rows = (
        with_open_amounts(invoices.exclude(status=InvoiceStatus.CANCELLED, issued_at__isnull=True))
        .order_by()
        .values("currency")
        .annotate(
            count=Count("pk"),
            gross=Coalesce(Sum(signed_gross), zero),
            open=Coalesce(Sum("open_amount_now"), zero),
        )
        .order_by("currency")
    )
    return [
        CurrencyTotal(
            currency=row["currency"], count=row["count"], gross=row["gross"], open=row["open"]
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ApplicationRow:
    """One settlement of this document, as its history shows it."""

    application_id: int
    effective_date: date
    kind: str
    kind_label: str
    counter_number: str
    counter_kind: str
    counter_invoice_id: int | None
    amount: Decimal  # in this document's currency; negative for a reversal
    base_amount: Decimal
    fx_gain_base: Decimal
    is_reversal: bool


def invoice_applications(*, tenant: Tenant, invoice: Invoice) -> list[ApplicationRow]:
    """What the ledger applied to or from this document (cash, credit memos,
    write-offs and their reversals), oldest first; over every installment
    of a split invoice."""
    if invoice.open_item_id is None:
        return []
    item_ids = [
        item.pk for item in invoice_open_items(tenant=tenant, invoice_ids=[invoice.pk])[invoice.pk]
    ]
    by_item = item_applications(tenant=tenant, item_ids=item_ids)
    applications = sorted(
        {a.pk: a for rows in by_item.values() for a in rows}.values(),
        key=lambda a: (a.effective_date, a.pk),
    )
    labels = dict(ApplicationKind.choices)
    rows = []
    for application in applications:
        this_is_debit = application.debit_item_id in item_ids
        counter: OpenItem = application.credit_item if this_is_debit else application.debit_item
        counter_invoice_id = (
            _as_id(counter.source_id) if counter.source_type == "invoicing.invoice" else None
        )
        rows.append(
            ApplicationRow(
                application_id=application.pk,
                effective_date=application.effective_date,
                kind=application.kind,
                kind_label=str(labels.get(application.kind, application.kind)),
                counter_number=counter.number,
                counter_kind=str(counter.get_kind_display()),
                counter_invoice_id=counter_invoice_id,
                amount=application.amount if this_is_debit else application.credit_amount,
                base_amount=(
                    application.debit_base_amount
                    if this_is_debit
                    else application.credit_base_amount
                ),
                fx_gain_base=application.fx_gain_base,
                is_reversal=application.reverses_id is not None,
            )
        )
    return rows


def invoice_audit_events(*, tenant: Tenant, invoice: Invoice, limit: int = 30) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.for_tenant(tenant)
        .filter(object_type=Invoice._meta.label_lower, object_id=str(invoice.pk))
        .select_related("actor_user")
        .order_by("-occurred_at", "-id")[:limit]
    )


def invoice_currencies(*, tenant: Tenant) -> list[str]:
    """The currencies the tenant has documents in (for filter choices)."""
    return list(
        Invoice.objects.for_tenant(tenant)
        .order_by("currency")
        .values_list("currency", flat=True)
        .distinct()
    )


# --- documents and deliveries ---------------------------------------------------------


def invoice_document_files(*, tenant: Tenant, invoice: Invoice) -> dict[str, InvoiceDocumentFile]:
    """The stored documents of an invoice by kind ("pdf", "ubl")."""
    return {
        row.kind: row
        for row in InvoiceDocumentFile.objects.for_tenant(tenant).filter(invoice=invoice)
    }


def invoice_deliveries(*, tenant: Tenant, invoice: Invoice) -> list[InvoiceDelivery]:
    """The e-mails of this document, newest first."""
    return list(
        InvoiceDelivery.objects.for_tenant(tenant)
        .filter(invoice=invoice)
        .select_related("requested_by")
        .order_by("-created_at", "-id")
    )


def delivery_list(
    *, tenant: Tenant, invoice: Invoice | None = None, status: str = "", q: str = ""
) -> QuerySet[InvoiceDelivery]:
    """Every delivery of the tenant (the outbox) or of one invoice, optionally
    of one status or matching a document number, customer or recipient.
    Unordered: callers sort (lists, cursors)."""
    deliveries = InvoiceDelivery.objects.for_tenant(tenant).select_related(
        "invoice", "invoice__customer"
    )
    if invoice is not None:
        deliveries = deliveries.filter(invoice=invoice)
    if status:
        deliveries = deliveries.filter(status=status)
    q = q.strip()
    if q:
        deliveries = deliveries.filter(
            Q(invoice__number__icontains=q)
            | Q(invoice__customer__legal_name__icontains=q)
            | Q(invoice__customer__number__iexact=q)
            | Q(recipients__icontains=q)
        )
    return deliveries


def delivery_status_counts(*, tenant: Tenant) -> dict[str, int]:
    rows = (
        InvoiceDelivery.objects.for_tenant(tenant)
        .order_by()
        .values("status")
        .annotate(count=Count("pk"))
    )
    return {row["status"]: row["count"] for row in rows}
