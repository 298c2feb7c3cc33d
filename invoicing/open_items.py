"""What is still owed on a document, read from the AR ledger.

Every reader of "the invoice's open amount or status" goes through here,
never through ``Invoice.open_item`` alone: for an invoice issued under split
payment terms that is only the first installment's item. Kept apart from
``invoicing.selectors`` (which the services import through this module) so
the services can read it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, When

from invoicing.models import Invoice, InvoiceInstallment, InvoiceStatus
from otc.ledger.models import ItemStatus, OpenItem, amount_field
from otc.tenancy.models import Tenant

# Documents that may still be owed (or, for credit memos, still be used).
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


def invoice_open_items(*, tenant: Tenant, invoice_ids: Iterable[int]) -> dict[int, list[OpenItem]]:
    """The ledger items that carry what is still owed on each document: its
    one item, or one per installment in due order for an invoice issued
    under split terms. Every reader of "the invoice's open amount or status"
    goes through here (or ``with_open_amounts`` for lists), never through
    ``Invoice.open_item`` alone, which is only the first installment of a
    split invoice. Documents never issued map to []."""
    rows = list(
        Invoice.objects.for_tenant(tenant)
        .filter(pk__in=list(invoice_ids))
        .values_list("pk", "open_item_id", "installment_count")
    )
    found: dict[int, list[OpenItem]] = {pk: [] for pk, _, _ in rows}
    single = {item_id: pk for pk, item_id, count in rows if item_id and not count}
    if single:
        for item in OpenItem.objects.for_tenant(tenant).filter(pk__in=list(single)):
            found[single[item.pk]].append(item)
    split = [pk for pk, _, count in rows if count]
    if split:
        parts = (
            InvoiceInstallment.objects.for_tenant(tenant)
            .filter(invoice_id__in=split)
            .select_related("open_item")
            .order_by("invoice_id", "sequence")
        )
        for part in parts:
            found[part.invoice_id].append(part.open_item)
    return found


def open_total(items: Iterable[OpenItem]) -> tuple[Decimal, Decimal]:
    """Open amount and open base amount of a document's items, as positive
    figures (credit memos carry negative open amounts in the ledger)."""
    amount, base = Decimal(0), Decimal(0)
    for item in items:
        amount += abs(item.open_amount)
        base += abs(item.open_base_amount)
    return amount, base


def _split_open_sum(column: str) -> Subquery:
    return Subquery(
        InvoiceInstallment.objects.unscoped()
        .filter(tenant_id=OuterRef("tenant_id"), invoice_id=OuterRef("pk"))
        .order_by()
        .values("invoice_id")
        .annotate(total=Sum(f"open_item__{column}"))
        .values("total")[:1],
        output_field=amount_field(),
    )


def with_open_amounts(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Annotate ``open_amount_now`` and ``open_base_now`` (signed as in the
    ledger: negative for credit memos): the document's one item, or the sum
    over its installments. For lists, sorting and totals in SQL."""
    return invoices.annotate(
        open_amount_now=Case(
            When(installment_count=0, then=F("open_item__open_amount")),
            default=_split_open_sum("open_amount"),
            output_field=amount_field(),
        ),
        open_base_now=Case(
            When(installment_count=0, then=F("open_item__open_base_amount")),
            default=_split_open_sum("open_base_amount"),
            output_field=amount_field(),
        ),
    )


def overdue_condition(*, today: date) -> Q:
    """Issued or partly paid and past due: for a split invoice, when any open
    installment is past its own due date (the invoice's due date is the
    first installment's, which may be paid already)."""
    late_part = InvoiceInstallment.objects.unscoped().filter(
        tenant_id=OuterRef("tenant_id"),
        invoice_id=OuterRef("pk"),
        due_date__lt=today,
        open_item__status=ItemStatus.OPEN,
    )
    return Q(status__in=OPEN_STATUSES) & (
        Q(installment_count=0, due_date__lt=today) | Q(Exists(late_part), installment_count__gt=0)
    )


def document_open_amounts(*, invoice: Invoice) -> tuple[Decimal, Decimal] | None:
    """Open amount and open base amount of one document (positive figures),
    or None before it is issued. Uses the ``with_open_amounts`` annotation
    when the invoice was read through a selector; asks the ledger otherwise."""
    if invoice.open_item_id is None:
        return None
    annotated = getattr(invoice, "open_amount_now", None)
    if annotated is not None:
        return abs(annotated), abs(invoice.open_base_now)  # type: ignore[attr-defined]
    items = invoice_open_items(tenant=invoice.tenant, invoice_ids=[invoice.pk])[invoice.pk]
    return open_total(items)
