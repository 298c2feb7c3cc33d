"""Credit exposure: what a customer (or a customer group) owes and has
ordered, in the tenant's base currency.

exposure = open AR from the ledger (open base amounts of open items; unapplied
cash and credit memos are negative and lower it) + released orders not yet
invoiced (their open base amount). Orders waiting for a decision (submitted,
held, information requested) are reported apart as *pending*: the credit
check adds them when the policy says so, so a held order cannot be split or
re-entered past the check.

One statement per scope (the customer's ledger balance rows, its open items
due before today and its orders, each through a (tenant, customer, ...)
index), so the check stays well under a millisecond of database time for
customers with thousands of open items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from credit.models import OPEN_ORDER_STATUSES, PENDING_ORDER_STATUSES
from otc.customers.models import Customer
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

ZERO = Decimal(0)


@dataclass(frozen=True)
class Exposure:
    currency: str
    limit: Decimal | None
    open_ar: Decimal
    open_orders: Decimal
    pending_orders: Decimal
    overdue: Decimal  # debit items past due more than `overdue_days`
    overdue_days: int
    oldest_due_date: date | None  # the oldest open due date that has passed

    @property
    def total(self) -> Decimal:
        """Exposure proper: open AR + released-but-uninvoiced orders."""
        return self.open_ar + self.open_orders

    @property
    def total_with_pending(self) -> Decimal:
        return self.total + self.pending_orders

    @property
    def available(self) -> Decimal | None:
        if self.limit is None:
            return None
        return self.limit - self.total

    @property
    def utilization(self) -> Decimal | None:
        """Exposure as a share of the limit (1 = fully used); None without a limit."""
        if not self.limit:
            return None
        return (self.total / self.limit).quantize(Decimal("0.0001"))

    @property
    def utilization_percent(self) -> Decimal | None:
        share = self.utilization
        return None if share is None else (share * 100).quantize(Decimal("0.1"))


def group_root(*, tenant: Tenant, customer: Customer) -> Customer | None:
    """The top parent of the customer's group, or None for a customer
    without a parent (then it is its own group, if it has children)."""
    if customer.parent_id is None:
        return None
    customers = Customer.objects.for_tenant(tenant)
    seen = {customer.pk}
    current = customers.get(pk=customer.parent_id)
    # Parents never form a cycle (customer services refuse one); the bound
    # is a guard against bad imported data all the same.
    while current.parent_id is not None and current.pk not in seen and len(seen) < 50:
        seen.add(current.pk)
        current = customers.get(pk=current.parent_id)
    return current


def group_customer_ids(*, tenant: Tenant, root: Customer) -> list[int]:
    """The root and every customer below it, at any depth (one recursive query)."""
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE grp(id) AS (
                SELECT id FROM {table} WHERE tenant_id = %s AND id = %s
                UNION
                SELECT c.id FROM {table} c JOIN grp ON c.parent_id = grp.id
                WHERE c.tenant_id = %s
            )
            SELECT id FROM grp
            """,  # noqa: S608  (the table name is ours; values are parameters)
            [tenant.pk, root.pk, tenant.pk],
        )
        return [row[0] for row in cursor.fetchall()]


# One statement: the credit check runs on every order, so the ledger and
# order figures travel in a single round trip. Open AR is the customer's
# ledger_customerbalance rows (the sum of its open items' open base amounts,
# kept by the ledger's triggers, a few rows whatever the number of items);
# only the items due before today are read, for the overdue figures, through
# (tenant, customer, due_date) of open items. A customer with 5,000 open
# items, none overdue, costs 0.1 ms instead of 5 ms of summing them.
# GREATEST: a negative overdue_days would put the cutoff after today.
# Raw SQL because the ORM cannot put multi-column aggregates of three
# tables side by side in one statement.
_EXPOSURE_SQL = """
WITH ledger AS (
    SELECT SUM(open_base_amount) AS open_ar
    FROM ledger_customerbalance
    WHERE tenant_id = %(tenant)s AND customer_id = ANY(%(ids)s)
), due AS (
    SELECT SUM(open_base_amount) FILTER (WHERE due_date < %(cutoff)s) AS overdue,
           MIN(due_date) FILTER (WHERE due_date < %(today)s) AS oldest_due
    FROM ledger_openitem
    WHERE tenant_id = %(tenant)s AND customer_id = ANY(%(ids)s) AND status = 'open'
      AND amount > 0 AND due_date < GREATEST(%(today)s, %(cutoff)s)
), orders AS (
    SELECT SUM(open_base_amount) FILTER (WHERE status = ANY(%(open)s)) AS open_orders,
           SUM(base_amount) FILTER (WHERE status = ANY(%(pending)s)) AS pending
    FROM credit_order
    WHERE tenant_id = %(tenant)s AND customer_id = ANY(%(ids)s)
      AND status = ANY(%(counted)s) AND id <> %(exclude)s
)
SELECT open_ar, overdue, oldest_due, open_orders, pending FROM ledger, due, orders
"""


def _exposure(
    *,
    tenant: Tenant,
    customer_ids: list[int],
    limit: Decimal | None,
    overdue_days: int,
    today: date,
    exclude_order_id: int | None,
) -> Exposure:
    open_statuses = [str(s) for s in OPEN_ORDER_STATUSES]
    pending_statuses = [str(s) for s in PENDING_ORDER_STATUSES]
    params: dict[str, Any] = {
        "tenant": tenant.pk,
        "ids": customer_ids,
        "today": today,
        "cutoff": today - timedelta(days=overdue_days),
        "open": open_statuses,
        "pending": pending_statuses,
        "counted": open_statuses + pending_statuses,
        "exclude": exclude_order_id or 0,
    }
    with connection.cursor() as cursor:
        cursor.execute(_EXPOSURE_SQL, params)
        open_ar, overdue, oldest_due, open_orders, pending = cursor.fetchone()
    return Exposure(
        currency=str(tenant.base_currency),
        limit=limit,
        open_ar=open_ar or ZERO,
        open_orders=open_orders or ZERO,
        pending_orders=pending or ZERO,
        overdue=overdue or ZERO,
        overdue_days=overdue_days,
        oldest_due_date=oldest_due,
    )


def customer_exposure(
    *,
    tenant: Tenant,
    customer: Customer,
    limit: Decimal | None = None,
    overdue_days: int = 30,
    today: date | None = None,
    exclude_order_id: int | None = None,
) -> Exposure:
    """One customer's own exposure (not its group's)."""
    return _exposure(
        tenant=tenant,
        customer_ids=[customer.pk],
        limit=limit,
        overdue_days=overdue_days,
        today=today or tenant_today(tenant),
        exclude_order_id=exclude_order_id,
    )


def group_exposure(
    *,
    tenant: Tenant,
    root: Customer,
    limit: Decimal | None = None,
    overdue_days: int = 30,
    today: date | None = None,
    exclude_order_id: int | None = None,
) -> Exposure:
    """The exposure of a whole group: the root and everyone below it."""
    ids = group_customer_ids(tenant=tenant, root=root)
    return _exposure(
        tenant=tenant,
        customer_ids=ids,
        limit=limit,
        overdue_days=overdue_days,
        today=today or tenant_today(tenant),
        exclude_order_id=exclude_order_id,
    )
