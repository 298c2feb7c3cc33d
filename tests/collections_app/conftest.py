from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from collections_app.bank_files.types import (
    BankFileFormat,
    BankStatement,
    BankTransaction,
    Direction,
)
from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.ledger.models import ItemKind, OpenItem
from otc.ledger.services import ledger_item_post

SYSTEM = Actor.system("test")
DAY = date(2026, 11, 20)


def customer(tenant, number: str, name: str, currency: str = "EUR") -> Customer:
    return Customer.objects.for_tenant(tenant).create(
        tenant=tenant, number=number, legal_name=name, country="DE", currency=currency
    )


def invoice(tenant, cust, number: str, amount: str, *, days_old: int = 30, currency="EUR"):
    doc = DAY - timedelta(days=days_old)
    return ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=cust,
        kind=ItemKind.INVOICE,
        number=number,
        currency=currency,
        amount=Decimal(amount),
        document_date=doc,
        due_date=doc + timedelta(days=30),
    )


def tx(
    amount: str, *, name="", account="", text="", e2e="", ref="", direction=Direction.CREDIT, **kw
):
    return BankTransaction(
        amount=Decimal(amount),
        currency=kw.pop("currency", "EUR"),
        direction=direction,
        booking_date=DAY,
        value_date=DAY,
        bank_reference=ref,
        end_to_end_id=e2e,
        payer_name=name,
        payer_account=account,
        remittance_text=text,
        **kw,
    )


def statement(statement_id: str, *transactions: BankTransaction, account="DE44500105175407324931"):
    return BankStatement(
        format=BankFileFormat.CAMT053,
        statement_id=statement_id,
        account=account,
        currency="EUR",
        created_on=DAY,
        from_date=DAY,
        to_date=DAY,
        transactions=tuple(transactions),
    )


def refreshed(item: OpenItem) -> OpenItem:
    item.refresh_from_db()
    return item
