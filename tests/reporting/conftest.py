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
from otc.ledger.services import ledger_apply, ledger_item_post, ledger_transfer_to_deduction
from otc.tenancy.context import tenant_context
from reporting.selectors.common import tenant_today
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
