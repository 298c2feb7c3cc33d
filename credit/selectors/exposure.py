"""Credit exposure: what a customer (or a customer group) owes and has
ordered, in the tenant's base currency.

exposure = open AR from the ledger (open base amounts of open items; unapplied
cash and credit memos are negative and lower it) + released orders not yet
invoiced (their open base amount). Orders waiting for a decision (submitted,
held, information requested) are reported apart as *pending*: the credit
check adds them when the policy says so, so a held order cannot be split or
re-entered past the check.

Two aggregate queries per scope (one on the ledger, one on orders), each
served by a (tenant, customer, ...) index, so the check stays in
milliseconds for customers with thousands of open items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import DecimalField, Q, QuerySet, Subquery, Sum

from credit.models import OPEN_ORDER_STATUSES, PENDING_ORDER_STATUSES, Order
from otc.customers.models import Customer
from otc.ledger.models import ItemStatus, OpenItem
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


def _exposure(
    *,
    tenant: Tenant,
    customer_filter: Q,
    limit: Decimal | None,
    overdue_days: int,
    today: date,
    exclude_order_id: int | None,
) -> Exposure:
    cutoff = today - timedelta(days=overdue_days)
    ledger = (
        OpenItem.objects.for_tenant(tenant)
        .filter(customer_filter, status=ItemStatus.OPEN)
        .order_by()
    )
    orders = Order.objects.for_tenant(tenant).filter(
        customer_filter, status__in=[*OPEN_ORDER_STATUSES, *PENDING_ORDER_STATUSES]
    )
    if exclude_order_id is not None:
        orders = orders.exclude(pk=exclude_order_id)
    orders = orders.order_by()
    amount = DecimalField(max_digits=20, decimal_places=4)

    def scalar(queryset: QuerySet[Any], **aggregate: Any) -> Subquery:
        # One aggregate as a subquery (grouped by the tenant, which the filter
        # fixes), so the ledger and order sums travel in one round trip: the
        # credit check runs on every order.
        name = next(iter(aggregate))
        grouped = queryset.values("tenant_id").annotate(**aggregate).values(name)
        return Subquery(grouped, output_field=amount)

    sums = (
        Tenant.objects.filter(pk=tenant.pk)
        .annotate(
            open_ar=scalar(ledger, v=Sum("open_base_amount")),
            overdue=scalar(
                ledger, v=Sum("open_base_amount", filter=Q(amount__gt=0, due_date__lt=cutoff))
            ),
            oldest_due=Subquery(
                ledger.filter(amount__gt=0, due_date__lt=today)
                .order_by("due_date")
                .values("due_date")[:1]
            ),
            open_orders=scalar(
                orders, v=Sum("open_base_amount", filter=Q(status__in=OPEN_ORDER_STATUSES))
            ),
            pending=scalar(
                orders, v=Sum("base_amount", filter=Q(status__in=PENDING_ORDER_STATUSES))
            ),
        )
        .values("open_ar", "overdue", "oldest_due", "open_orders", "pending")
        .get()
    )
    ledger_sums = {
        "open_ar": sums["open_ar"],
        "overdue": sums["overdue"],
        "oldest_due": sums["oldest_due"],
    }
    order_sums = {"open_orders": sums["open_orders"], "pending": sums["pending"]}
    return Exposure(
        currency=str(tenant.base_currency),
        limit=limit,
        open_ar=ledger_sums["open_ar"] or ZERO,
        open_orders=order_sums["open_orders"] or ZERO,
        pending_orders=order_sums["pending"] or ZERO,
        overdue=ledger_sums["overdue"] or ZERO,
        overdue_days=overdue_days,
        oldest_due_date=ledger_sums["oldest_due"],
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
        customer_filter=Q(customer_id=customer.pk),
        limit=limit,
        overdue_days=overdue_days,
        today=today or date.today(),  # noqa: DTZ011  (callers pass the tenant's day)
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
        customer_filter=Q(customer_id__in=ids),
        limit=limit,
        overdue_days=overdue_days,
        today=today or date.today(),  # noqa: DTZ011
        exclude_order_id=exclude_order_id,
    )
