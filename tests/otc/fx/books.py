"""A small foreign-currency book, worked by hand, for the revaluation and
ledger tests (`foreign_book` fixtures call build_foreign_book).

Tenant A (base EUR), customer R-1, January 2026 (31 Jan is a Saturday):
- INV-1  USD 1,000.00 on 5 Jan at 0.90 = EUR 900.00; PAY-1 USD 400.00 on
  20 Jan at 0.88 applied the same day (realised loss EUR 8.00), so USD 600.00
  stay open at a book value of EUR 540.00; PAY-3 USD 600.00 on 3 Feb settles it.
- PAY-2  USD 250.00 unapplied, 28 Jan at 0.91 = EUR -227.50.
- INV-2  GBP 500.00 on 10 Jan at 1.20 = EUR 600.00.
- INV-3  CHF 300.00 on 15 Jan at 1.05 = EUR 315.00; no CHF rate exists.
- INV-4  EUR 100.00 (base currency: never revalued).
- INV-5  USD 200.00 on 2 Feb (after the month end).
- INV-6  USD 100.00 on 6 Jan, paid in full on 7 Jan (closed by the month end).
Rates of tenant A on Friday 30 Jan: 1 USD = 0.92 EUR; 1 EUR = 0.80 GBP.
Tenant B (base USD) holds a EUR invoice of its own.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from otc.audit.services import Actor
from otc.fx.services import manual_rate_set
from otc.ledger.models import ApplicationKind, ItemKind
from otc.ledger.services import ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from tests.otc.ledger.conftest import make_customer

SYSTEM = Actor.system("test")
JAN_31 = date(2026, 1, 31)


def post(tenant, customer, kind, number, currency, amount, day, rate=None, due=None):
    return ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=kind,
        number=number,
        currency=currency,
        amount=Decimal(amount),
        document_date=day,
        due_date=due,
        rate=Decimal(rate) if rate is not None else None,
    )


def apply(tenant, debit, credit, amount, day):
    return ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=debit.pk,
        credit_item_id=credit.pk,
        amount=Decimal(amount),
        effective_date=day,
        kind=ApplicationKind.CASH,
    )


def rate(tenant, day, from_currency, to_currency, value):
    manual_rate_set(
        tenant=tenant,
        actor=SYSTEM,
        rate_date=day,
        from_currency=from_currency,
        to_currency=to_currency,
        rate=Decimal(value),
    )


def build_foreign_book(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        customer = make_customer(tenant_a, "R-1", "Riverside Imports Ltd")
        rate(tenant_a, date(2026, 1, 30), "USD", "EUR", "0.92")
        rate(tenant_a, date(2026, 1, 30), "EUR", "GBP", "0.80")
        items = {}
        items["INV-1"] = post(
            tenant_a, customer, ItemKind.INVOICE, "INV-1", "USD", "1000.00", date(2026, 1, 5),
            "0.90", due=date(2026, 2, 4),
        )  # fmt: skip
        items["PAY-1"] = post(
            tenant_a, customer, ItemKind.PAYMENT, "PAY-1", "USD", "400.00", date(2026, 1, 20),
            "0.88",
        )  # fmt: skip
        items["APP-1"] = apply(
            tenant_a, items["INV-1"], items["PAY-1"], "400.00", date(2026, 1, 20)
        )
        items["PAY-2"] = post(
            tenant_a, customer, ItemKind.PAYMENT, "PAY-2", "USD", "250.00", date(2026, 1, 28),
            "0.91",
        )  # fmt: skip
        items["INV-2"] = post(
            tenant_a, customer, ItemKind.INVOICE, "INV-2", "GBP", "500.00", date(2026, 1, 10),
            "1.20", due=date(2026, 1, 25),
        )  # fmt: skip
        items["INV-3"] = post(
            tenant_a, customer, ItemKind.INVOICE, "INV-3", "CHF", "300.00", date(2026, 1, 15),
            "1.05", due=date(2026, 2, 14),
        )  # fmt: skip
        items["INV-4"] = post(
            tenant_a, customer, ItemKind.INVOICE, "INV-4", "EUR", "100.00", date(2026, 1, 12)
        )
        items["INV-5"] = post(
            tenant_a, customer, ItemKind.INVOICE, "INV-5", "USD", "200.00", date(2026, 2, 2),
            "0.93",
        )  # fmt: skip
        items["INV-6"] = post(
            tenant_a, customer, ItemKind.INVOICE, "INV-6", "USD", "100.00", date(2026, 1, 6),
            "0.90",
        )  # fmt: skip
        items["PAY-4"] = post(
            tenant_a, customer, ItemKind.PAYMENT, "PAY-4", "USD", "100.00", date(2026, 1, 7),
            "0.90",
        )  # fmt: skip
        apply(tenant_a, items["INV-6"], items["PAY-4"], "100.00", date(2026, 1, 7))
        items["PAY-3"] = post(
            tenant_a, customer, ItemKind.PAYMENT, "PAY-3", "USD", "600.00", date(2026, 2, 3),
            "0.93",
        )  # fmt: skip
        apply(tenant_a, items["INV-1"], items["PAY-3"], "600.00", date(2026, 2, 3))
    with tenant_context(tenant_b):
        other = make_customer(tenant_b, "B-1", "Bravo Buyer Inc", currency="USD")
        rate(tenant_b, date(2026, 1, 30), "EUR", "USD", "1.10")
        items["B-INV"] = post(
            tenant_b, other, ItemKind.INVOICE, "B-INV", "EUR", "1000.00", date(2026, 1, 5), "1.05"
        )
    return customer, items
