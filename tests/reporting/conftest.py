"""A small two-tenant book for the reports, dated relative to today so the
today path and the replayed past both have something to show.

Tenant A (base EUR):
- Acme Group AG (DE, parent) and Acme Austria (AT, child of Acme), collector Cora,
  risk class B; Bolt Ltd (GB, USD customer, no collector, no credit profile).
- invoices at several ages, one part paid, one short-paid into a deduction,
  an unapplied payment and a USD invoice at 0.90.
Tenant B (base USD) has one invoice that must never show in A's reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from credit.models import CreditProfile
from otc.customers.models import Customer
from otc.ledger.models import ApplicationKind, ItemKind, OpenItem
from otc.ledger.services import (
    ledger_application_reverse,
    ledger_apply,
    ledger_item_post,
    ledger_item_reverse,
    ledger_transfer_to_deduction,
)
from otc.tenancy.context import tenant_context
from otc.tenancy.dates import tenant_today
from tests.factories import UserFactory
from tests.otc.ledger.conftest import SYSTEM, make_customer


@dataclass
class Book:
    tenant: object
    today: date
    acme: Customer
    acme_at: Customer
    bolt: Customer
    collector: object
    items: dict[str, OpenItem]


def post(tenant, customer, kind, amount, day, due=None, currency="EUR", number=""):
    return ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=kind,
        number=number or f"{kind}-{amount}-{day}",
        currency=currency,
        amount=Decimal(amount),
        document_date=day,
        due_date=due,
        # USD locked at 0.90 in tenant A (base EUR), at 1 in tenant B (base USD)
        rate=Decimal("0.90") if currency != str(tenant.base_currency) else None,
    )


@pytest.fixture
def book(tenant_a, tenant_b):
    today = tenant_today(tenant_a)
    d = lambda n: today - timedelta(days=n)  # noqa: E731
    collector = UserFactory(email="cora@alpha.example", full_name="Cora Collector")
    with tenant_context(tenant_a):
        acme = make_customer(tenant_a, "C-1", "Acme Group AG")
        acme.collector = collector
        acme.save()
        acme_at = make_customer(tenant_a, "C-2", "Acme Austria GmbH")
        acme_at.parent = acme
        acme_at.country = "AT"
        acme_at.collector = collector
        acme_at.save()
        bolt = make_customer(tenant_a, "C-3", "Bolt Ltd", currency="USD")
        bolt.country = "GB"
        bolt.save()
        for customer in (acme, acme_at):
            CreditProfile.objects.create(
                tenant=tenant_a, customer=customer, currency="EUR", risk_class="B"
            )
        items = {
            # current (due in 10 days)
            "inv_current": post(
                tenant_a, acme, ItemKind.INVOICE, "1000.00", d(20), d(-10), number="I-1"
            ),
            # 15 days past due, then 400 paid 5 days ago
            "inv_15": post(tenant_a, acme, ItemKind.INVOICE, "2000.00", d(45), d(15), number="I-2"),
            # 75 days past due
            "inv_75": post(
                tenant_a, acme_at, ItemKind.INVOICE, "500.00", d(105), d(75), number="I-3"
            ),
            # 200 days past due, short-paid: 100 moved to a deduction 150 days ago
            "inv_200": post(
                tenant_a, acme_at, ItemKind.INVOICE, "300.00", d(230), d(200), number="I-4"
            ),
            # USD 1,000 at 0.90 = EUR 900, 40 days past due
            "inv_usd": post(
                tenant_a,
                bolt,
                ItemKind.INVOICE,
                "1000.00",
                d(70),
                d(40),
                currency="USD",
                number="I-5",
            ),
            "pay": post(tenant_a, acme, ItemKind.PAYMENT, "700.00", d(5), number="P-1"),
            "pay_old": post(tenant_a, acme_at, ItemKind.PAYMENT, "200.00", d(150), number="P-2"),
        }
        ledger_apply(
            tenant=tenant_a,
            actor=SYSTEM,
            debit_item_id=items["inv_15"].pk,
            credit_item_id=items["pay"].pk,
            amount=Decimal("400.00"),
            effective_date=d(5),
            kind=ApplicationKind.CASH,
        )
        ledger_apply(
            tenant=tenant_a,
            actor=SYSTEM,
            debit_item_id=items["inv_200"].pk,
            credit_item_id=items["pay_old"].pk,
            amount=Decimal("200.00"),
            effective_date=d(150),
            kind=ApplicationKind.CASH,
        )
        items["deduction"] = ledger_transfer_to_deduction(
            tenant=tenant_a,
            actor=SYSTEM,
            debit_item_id=items["inv_200"].pk,
            amount=Decimal("100.00"),
            effective_date=d(150),
            number="D-1",
            reason="damaged",
        )
    with tenant_context(tenant_b):
        other = make_customer(tenant_b, "C-1", "Other Tenant Inc", currency="USD")
        post(tenant_b, other, ItemKind.INVOICE, "99999.00", d(90), d(60), currency="USD")
    return Book(tenant_a, today, acme, acme_at, bolt, collector, items)


@pytest.fixture
def awkward_book(book):
    """The report book plus the histories a running total gets wrong."""
    tenant, acme = book.tenant, book.acme
    d = lambda n: book.today - timedelta(days=n)  # noqa: E731
    with tenant_context(tenant):
        # Paid in full 40 days ago, the payment bounced 20 days ago: closed
        # in between, open before and after.
        bounced = post(tenant, acme, ItemKind.INVOICE, "1000.00", d(60), d(30), number="I-9")
        cheque = post(tenant, acme, ItemKind.PAYMENT, "1000.00", d(40), number="P-9")
        paid = ledger_apply(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=bounced.pk,
            credit_item_id=cheque.pk,
            amount=Decimal("1000.00"),
            effective_date=d(40),
            kind=ApplicationKind.CASH,
        )
        ledger_application_reverse(
            tenant=tenant,
            actor=SYSTEM,
            application_id=paid.pk,
            effective_date=d(20),
            reason="bounced",
        )
        # Two part payments recorded out of order: the back-dated one, posted
        # last, is not the one that closed the invoice (50 days ago).
        late = post(tenant, acme, ItemKind.INVOICE, "500.00", d(100), d(70), number="I-10")
        transfer = post(tenant, acme, ItemKind.PAYMENT, "500.00", d(100), number="P-10")
        for amount, days_ago in (("200.00", 50), ("300.00", 80)):
            ledger_apply(
                tenant=tenant,
                actor=SYSTEM,
                debit_item_id=late.pk,
                credit_item_id=transfer.pk,
                amount=Decimal(amount),
                effective_date=d(days_ago),
                kind=ApplicationKind.CASH,
            )
        # Cash applied with a date before the invoice's own (USD, at 0.90).
        bolt = book.bolt
        early = post(tenant, bolt, ItemKind.INVOICE, "250.00", d(10), d(-20), "USD", "I-11")
        prepaid = post(tenant, bolt, ItemKind.PAYMENT, "100.00", d(30), None, "USD", "P-11")
        ledger_apply(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=early.pk,
            credit_item_id=prepaid.pk,
            amount=Decimal("100.00"),
            effective_date=d(30),
            kind=ApplicationKind.CASH,
        )
        # A cancelled invoice: the ledger's counter item closes both.
        wrong = post(tenant, acme, ItemKind.INVOICE, "80.00", d(12), d(-18), number="I-12")
        ledger_item_reverse(
            tenant=tenant, actor=SYSTEM, item_id=wrong.pk, effective_date=d(8), reason="typo"
        )
    return book
