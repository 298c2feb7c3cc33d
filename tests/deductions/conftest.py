"""A world for deductions: tenant A (EUR) with an analyst below and a
manager above the write-off limits, a customer and an issued invoice of
1,000.00 + 19 % VAT = 1,190.00 that was paid 1,000.00 (190.00 short).
Tenant B holds its own deduction, which nothing here may touch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from deductions.models import Deduction
from deductions.services import deduction_open_for_short_payment
from invoicing.models import Invoice
from invoicing.services import invoices_refresh_for_items
from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.ledger.models import ApplicationKind, ItemKind, OpenItem
from otc.ledger.services import ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Membership, Tenant
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.invoicing.factories import issued_invoice, line

D = Decimal
DAY = date(2026, 11, 20)
SYSTEM = Actor.system("tests")


@dataclass
class World:
    tenant: Tenant
    customer: Customer
    invoice: Invoice
    payment: OpenItem
    analyst: Actor
    manager: Actor
    analyst_membership: Membership


def short_paid_invoice(
    tenant: Tenant,
    customer: Customer,
    *,
    net: str = "1000.00",
    paid: str = "1000.00",
    claim_code: str = "PR",
    text: str = "PR price difference",
) -> tuple[Invoice, OpenItem, Deduction]:
    invoice = issued_invoice(tenant, customer, [line(net)], issue_date=date(2026, 10, 20))
    payment = ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=ItemKind.PAYMENT,
        number=f"PAY-{invoice.number}",
        currency=str(customer.currency),
        amount=D(paid),
        document_date=DAY,
    )
    assert invoice.open_item_id is not None
    ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.open_item_id,
        credit_item_id=payment.pk,
        amount=D(paid),
        effective_date=DAY,
        kind=ApplicationKind.CASH,
    )
    short = invoice.gross_amount - D(paid)
    deduction = deduction_open_for_short_payment(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        invoice_item_id=invoice.open_item_id,
        payment_item_id=payment.pk,
        amount=short,
        currency=str(customer.currency),
        reason_code=claim_code,
        reason_text=text,
        effective_date=DAY,
    )
    # As cash application does once it has posted everything.
    invoices_refresh_for_items(tenant=tenant, open_item_ids=[invoice.open_item_id])
    return invoice, payment, deduction


def member(tenant: Tenant, email: str, role: str, limit: str) -> tuple[Actor, Membership]:
    user = UserFactory(email=email)
    with tenant_context(tenant):
        membership = MembershipFactory(tenant=tenant, user=user, role=role, approval_limit=D(limit))
    return Actor(user=user, label=email), membership


@pytest.fixture
def world(tenant_a, tenant_b) -> World:
    analyst, analyst_membership = member(
        tenant_a, "analyst@alpha.example", "deductions_analyst", "100.00"
    )
    manager, _ = member(tenant_a, "manager@alpha.example", "credit_manager", "5000.00")
    with tenant_context(tenant_b):
        CustomerFactory(number="B-1", legal_name="Bravo Buyer", currency="USD")
    with tenant_context(tenant_a):
        acme = CustomerFactory(number="A-1", legal_name="Acme GmbH", currency="EUR")
    return World(
        tenant=tenant_a,
        customer=acme,
        invoice=None,  # type: ignore[arg-type]
        payment=None,  # type: ignore[arg-type]
        analyst=analyst,
        manager=manager,
        analyst_membership=analyst_membership,
    )
