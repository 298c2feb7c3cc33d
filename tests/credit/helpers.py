"""Building blocks of the credit tests: ledger items, profiles and orders
written through the real services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from credit.models import LimitKind, Order
from credit.services import OrderLineInput, credit_limit_set, order_create, order_submit
from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.ledger.models import ItemKind, OpenItem
from otc.ledger.services import ledger_item_post
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

SYSTEM = Actor.system("tests")


def D(value: str | int) -> Decimal:  # noqa: N802  (reads like a literal)
    return Decimal(str(value))


def set_limit(tenant: Tenant, customer: Customer, amount: str, *, group: bool = False) -> None:
    credit_limit_set(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        amount=D(amount),
        reason="test set-up",
        kind=LimitKind.GROUP if group else LimitKind.CUSTOMER,
    )


_numbers = iter(range(1, 10**9))


def post_invoice(
    tenant: Tenant,
    customer: Customer,
    amount: str,
    *,
    currency: str = "",
    days_overdue: int | None = None,
) -> OpenItem:
    today = tenant_today(tenant)
    due = today + timedelta(days=30) if days_overdue is None else today - timedelta(days_overdue)
    return ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=ItemKind.INVOICE,
        number=f"INV-{next(_numbers)}",
        currency=currency or str(tenant.base_currency),
        amount=D(amount),
        document_date=min(today, due - timedelta(days=30)),
        due_date=due,
    )


def post_payment(tenant: Tenant, customer: Customer, amount: str) -> OpenItem:
    return ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=ItemKind.PAYMENT,
        number=f"PAY-{next(_numbers)}",
        currency=str(tenant.base_currency),
        amount=D(amount),
        document_date=tenant_today(tenant),
    )


def new_order(
    tenant: Tenant,
    customer: Customer,
    amount: str,
    *,
    currency: str = "",
    external_ref: str | None = None,
    ship_in_days: int | None = 7,
) -> Order:
    today = tenant_today(tenant)
    return order_create(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        currency=currency or str(tenant.base_currency),
        lines=[OrderLineInput(description="Drive unit", quantity=D(1), unit_price=D(amount))],
        order_date=today,
        requested_ship_date=today + timedelta(days=ship_in_days) if ship_in_days else None,
        external_ref=external_ref,
    )


def submitted(tenant: Tenant, customer: Customer, amount: str, **kwargs: object) -> Order:
    order = new_order(tenant, customer, amount, **kwargs)  # type: ignore[arg-type]
    return order_submit(tenant=tenant, actor=SYSTEM, order=order)


def today_of(tenant: Tenant) -> date:
    return tenant_today(tenant)
