"""Invoicing released sales orders: the hand-over from credit to billing.

A released (or approved) order may be invoiced in parts. Each invoice made
from an order points at it (``Invoice.source_order``) and each of its lines
at the order line it bills (``InvoiceLine.order_line``), so what is left to
invoice per order line is a sum over those links.

Exposure moves when the invoice is issued, not when the draft is made: in
the same transaction as the ledger posting, ``order_consume_for_invoice``
takes the invoice's gross amount off the order's released-not-invoiced
amount (the invoice's id as the reference makes a retried issue a no-op).
The final invoice of an order (every order line fully billed) consumes
exactly what is left, so line-rounding differences between the order and
its invoices never leave a few cents of phantom exposure behind. Credit
refuses an invoice worth more than what it released, so a partial release
("release 60 %") caps what can be billed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from credit.models import Order, OrderLine, OrderStatus
from credit.selectors import order_get, order_lines
from credit.services import order_consume_for_invoice
from invoicing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceOrigin,
    InvoiceStatus,
    TaxCategory,
)
from invoicing.services.drafts import invoice_create_draft
from invoicing.services.lines import LineInput
from otc.audit.services import Actor
from otc.errors import ConflictError, ValidationFailed
from otc.fx.money import minor_units
from otc.tenancy.models import Tenant

# Orders credit lets ship and that still have something to bill.
INVOICEABLE_STATUSES = frozenset(
    {OrderStatus.APPROVED, OrderStatus.RELEASED, OrderStatus.PARTIALLY_INVOICED}
)


@dataclass(frozen=True)
class OrderLineToInvoice:
    line: OrderLine
    invoiced: Decimal  # quantity on invoices (drafts included) made from the order
    remaining: Decimal


def order_lines_to_invoice(*, tenant: Tenant, order: Order) -> list[OrderLineToInvoice]:
    """Every order line with the quantity billed so far and what is left.
    Drafts count, so two drafts made one after the other do not both offer
    the whole order; cancelled invoices count too, because cancelling an
    invoice does not give its amount back to the order (see module notes)."""
    billed = dict(
        InvoiceLine.objects.for_tenant(tenant)
        .filter(invoice__source_order=order, invoice__kind=InvoiceKind.INVOICE)
        .values("order_line_id")
        .annotate(quantity=Sum("quantity"))
        .values_list("order_line_id", "quantity")
    )
    rows = []
    for line in order_lines(tenant=tenant, order=order):
        invoiced = billed.get(line.pk) or Decimal(0)
        rows.append(
            OrderLineToInvoice(
                line=line, invoiced=invoiced, remaining=max(line.quantity - invoiced, Decimal(0))
            )
        )
    return rows


def _check_invoiceable(order: Order) -> None:
    if order.status not in INVOICEABLE_STATUSES:
        raise ConflictError(
            f"Order {order} is {order.get_status_display().lower()}: only approved or released "
            "orders with something left to bill can be invoiced.",
            code="order_not_invoiceable",
        )
    if order.invoiced_amount >= order.released_amount:
        raise ConflictError(
            f"Order {order} has nothing released left to invoice.", code="order_not_invoiceable"
        )


def _chosen_quantities(
    rows: list[OrderLineToInvoice], quantities: Mapping[int, Decimal] | None
) -> list[tuple[OrderLine, Decimal]]:
    if quantities is None:
        chosen = [(row.line, row.remaining) for row in rows if row.remaining > 0]
    else:
        by_id = {row.line.pk: row for row in rows}
        errors: dict[str, list[str]] = {}
        chosen = []
        for line_id, quantity in quantities.items():
            row = by_id.get(line_id)
            if row is None:
                errors[f"lines.{line_id}"] = ["This line is not on the order."]
            elif quantity <= 0:
                errors[f"lines.{line_id}"] = [
                    "Invoice a quantity above zero (or leave the line out)."
                ]
            elif quantity > row.remaining:
                left, ordered = row.remaining.normalize(), row.line.quantity.normalize()
                errors[f"lines.{line_id}"] = [
                    f"Only {left:f} of {ordered:f} is left to invoice on this line."
                ]
            else:
                chosen.append((row.line, quantity))
        if errors:
            raise ValidationFailed("Some order lines cannot be invoiced as asked.", errors=errors)
        chosen.sort(key=lambda pair: (pair[0].position, pair[0].pk))
    if not chosen:
        raise ValidationFailed(
            "Nothing is left to invoice on this order.", errors={"lines": ["Every line is billed."]}
        )
    return chosen


@transaction.atomic
def invoice_draft_from_order(
    *,
    tenant: Tenant,
    actor: Actor,
    order_id: int | str,
    quantities: Mapping[int, Decimal] | None = None,
    issue_date: date | None = None,
) -> Invoice:
    """A draft invoice billing an approved or released order: every line's
    remaining quantity, or the `quantities` given per order line id (partial
    invoicing). Currency, customer and PO come from the order; the draft can
    be edited and is issued like any other."""
    order = order_get(tenant=tenant, order_id=order_id)
    _check_invoiceable(order)
    chosen = _chosen_quantities(order_lines_to_invoice(tenant=tenant, order=order), quantities)
    lines = [
        LineInput(
            description=line.description,
            quantity=quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            # An order knows a 0 % rate but not why (EN 16931 wants the
            # reason): the draft says zero-rated, and the clerk changes it to
            # exempt, reverse charge or export in the editor if that is why.
            tax_category=TaxCategory.STANDARD if line.tax_rate else TaxCategory.ZERO,
            product_code=line.sku,
            order_line_id=line.pk,
        )
        for line, quantity in chosen
    ]
    invoice = invoice_create_draft(
        tenant=tenant,
        actor=actor,
        customer=order.customer,
        lines=lines,
        currency=str(order.currency),
        issue_date=issue_date,
        po_number=order.customer_po,
        origin=InvoiceOrigin.ORDER,
    )
    Invoice.objects.for_tenant(tenant).filter(pk=invoice.pk).update(source_order=order)
    invoice.source_order = order
    return invoice


def _is_final(*, tenant: Tenant, order: Order) -> bool:
    """Every order line fully billed by issued (or issuing) invoices."""
    billed = dict(
        InvoiceLine.objects.for_tenant(tenant)
        .filter(invoice__source_order=order, invoice__kind=InvoiceKind.INVOICE)
        .exclude(invoice__status=InvoiceStatus.DRAFT)
        .values("order_line_id")
        .annotate(quantity=Sum("quantity"))
        .values_list("order_line_id", "quantity")
    )
    return all(
        (billed.get(line.pk) or 0) >= line.quantity
        for line in order_lines(tenant=tenant, order=order)
    )


def _check_line_links(*, tenant: Tenant, invoice: Invoice, order: Order) -> None:
    """Every line that names an order line names one of this order's (the
    editor carries the link in a hidden field, which a browser can alter)."""
    own = {line.pk for line in order_lines(tenant=tenant, order=order)}
    linked = set(
        InvoiceLine.objects.for_tenant(tenant)
        .filter(invoice=invoice, order_line__isnull=False)
        .values_list("order_line_id", flat=True)
    )
    if linked - own:
        raise ValidationFailed(
            f"{invoice} has lines that point at another order's lines.",
            errors={"lines": [f"Only lines of order {order} can be billed on this invoice."]},
        )


def _rounding_tolerance(order: Order) -> Decimal:
    """Order and invoice round their lines and tax on their own; each line
    and the tax may differ by one minor unit, no more."""
    unit = Decimal(1).scaleb(-minor_units(str(order.currency)))
    return unit * (order.lines.count() + 1)


def consume_source_orders(*, tenant: Tenant, actor: Actor, invoices: list[Invoice]) -> None:
    """Called by issuing, inside its transaction, after the invoices are
    saved as issued: each invoice made from an order takes its amount off
    the order. Any refusal (over-invoicing, an order cancelled meanwhile)
    rolls the whole issue back."""
    for invoice in invoices:
        if invoice.source_order_id is None or invoice.kind != InvoiceKind.INVOICE:
            continue
        order = order_get(tenant=tenant, order_id=invoice.source_order_id)
        if str(order.currency) != str(invoice.currency):
            raise ValidationFailed(
                f"{invoice} bills order {order} in {invoice.currency}, the order is in "
                f"{order.currency}: keep the order's currency.",
                errors={"currency": [f"Use {order.currency}, the order's currency."]},
            )
        _check_line_links(tenant=tenant, invoice=invoice, order=order)
        amount = invoice.gross_amount
        remaining = order.released_amount - order.invoiced_amount
        if (
            order.released_amount == order.total_amount
            and abs(amount - remaining) <= _rounding_tolerance(order)
            and _is_final(tenant=tenant, order=order)
        ):
            amount = remaining
        if amount <= 0:
            continue
        order_consume_for_invoice(
            tenant=tenant, actor=actor, order=order, amount=amount, reference=str(invoice.pk)
        )
