"""Invoice factories and builders.

``InvoiceFactory`` / ``InvoiceLineFactory`` make raw rows (a draft with
whatever totals you give), for tests about reading and listing. Documents
whose figures matter are built with ``draft_invoice`` / ``issued_invoice``,
which go through the services, so totals, numbers and ledger items are
exactly what production would store. Use inside ``tenant_context(tenant)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import factory

from invoicing.models import Invoice
from invoicing.services import LineInput, invoice_create_draft, invoice_issue
from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.tenancy.models import Tenant
from tests.factories import CustomerFactory, TenantOwnedFactory

SYSTEM = Actor.system("tests")


class InvoiceFactory(TenantOwnedFactory):
    class Meta:
        model = "invoicing.Invoice"

    customer = factory.SubFactory(CustomerFactory)
    kind = "invoice"
    status = "draft"
    currency = factory.LazyAttribute(lambda i: str(i.customer.currency))
    series = "INV"
    net_amount = Decimal("100.00")
    tax_amount = Decimal("19.00")
    gross_amount = Decimal("119.00")


class InvoiceLineFactory(TenantOwnedFactory):
    class Meta:
        model = "invoicing.InvoiceLine"

    invoice = factory.SubFactory(InvoiceFactory)
    position = factory.Sequence(lambda n: n + 1)
    description = factory.Sequence(lambda n: f"Widget {n}")
    quantity = Decimal(1)
    unit_price = Decimal("100.00")
    tax_rate = Decimal("19.00")
    tax_category = "S"
    line_net = Decimal("100.00")


def line(
    price: str | Decimal = "100.00",
    quantity: str | Decimal = "1",
    *,
    rate: str | Decimal = "19",
    discount: str | Decimal = "0",
    category: str = "S",
    description: str = "Consulting",
    unit: str = "C62",
) -> LineInput:
    return LineInput(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        tax_rate=Decimal(rate),
        tax_category=category if Decimal(rate) or category != "S" else "Z",
        discount_percent=Decimal(discount),
        unit=unit,
    )


def draft_invoice(
    tenant: Tenant,
    customer: Customer | None = None,
    lines: Sequence[LineInput] | None = None,
    *,
    actor: Actor = SYSTEM,
    **kwargs: Any,
) -> Invoice:
    return invoice_create_draft(
        tenant=tenant,
        actor=actor,
        customer=customer or CustomerFactory(),
        lines=list(lines) if lines is not None else [line()],
        **kwargs,
    )


def issued_invoice(
    tenant: Tenant,
    customer: Customer | None = None,
    lines: Sequence[LineInput] | None = None,
    *,
    issue_date: date | None = None,
    actor: Actor = SYSTEM,
    **kwargs: Any,
) -> Invoice:
    draft = draft_invoice(tenant, customer, lines, actor=actor, **kwargs)
    return invoice_issue(tenant=tenant, actor=actor, invoice=draft, issue_date=issue_date)
