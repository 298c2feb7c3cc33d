"""The figures behind the credit, collector, AR clerk and deductions
dashboards that the apps' own selectors do not already answer: one
aggregate statement each, read from the ledger's per-customer summaries
and the apps' indexed columns, so a large tenant's dashboard stays well
under a second without caching."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce

from collections_app.models import (
    BankStatement,
    BankStatementLine,
    MatchProposal,
    Payment,
    PaymentStatus,
)
from credit.models import OPEN_ORDER_STATUSES
from deductions.selectors import QueueFilters, deduction_queue
from invoicing.models import DeliveryStatus, InvoiceDelivery, InvoiceKind, InvoiceStatus
from invoicing.selectors import invoice_list
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import Role

ZERO = Decimal(0)
CENT = Decimal("0.01")

# --- credit -------------------------------------------------------------------------

# Exposure as the credit check reads it: the customer's net open AR (ledger
# summary, every side) plus released orders not yet invoiced, in base currency.
_EXPOSURE_CTE = """
WITH ar AS (
    SELECT customer_id, SUM(open_base_amount) AS amount
    FROM ledger_customerbalance WHERE tenant_id = %(tenant)s
    GROUP BY customer_id
),
orders AS (
    SELECT customer_id, SUM(open_base_amount) AS amount
    FROM credit_order WHERE tenant_id = %(tenant)s AND status = ANY(%(open_statuses)s)
    GROUP BY customer_id
),
exposure AS (
    SELECT cp.customer_id, cp.risk_class, cp.credit_limit,
           COALESCE(ar.amount, 0) + COALESCE(orders.amount, 0) AS exposure
    FROM credit_creditprofile AS cp
    LEFT JOIN ar ON ar.customer_id = cp.customer_id
    LEFT JOIN orders ON orders.customer_id = cp.customer_id
    WHERE cp.tenant_id = %(tenant)s
)
"""

_BY_CLASS = """
SELECT risk_class, COUNT(*), COALESCE(SUM(exposure), 0), COALESCE(SUM(credit_limit), 0),
       COUNT(*) FILTER (WHERE credit_limit > 0 AND exposure > credit_limit)
FROM exposure GROUP BY risk_class ORDER BY risk_class
"""
_OVER_LIMIT = """
SELECT c.id, c.number, c.legal_name, e.risk_class, e.exposure, e.credit_limit
FROM exposure AS e JOIN customers_customer AS c ON c.id = e.customer_id
WHERE e.credit_limit > 0 AND e.exposure > e.credit_limit
ORDER BY e.exposure - e.credit_limit DESC, c.number
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class ClassExposure:
    risk_class: str
    customers: int
    exposure: Decimal
    credit_limit: Decimal  # the class's limits added up
    over_limit: int  # customers whose exposure exceeds a positive limit

    @property
    def utilisation_percent(self) -> Decimal | None:
        if self.credit_limit <= 0:
            return None
        return (self.exposure * 100 / self.credit_limit).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class OverLimitCustomer:
    customer_id: int
    number: str
    name: str
    risk_class: str
    exposure: Decimal
    credit_limit: Decimal

    @property
    def excess(self) -> Decimal:
        return self.exposure - self.credit_limit


def _params(tenant: Tenant) -> dict[str, Any]:
    return {"tenant": tenant.pk, "open_statuses": [str(status) for status in OPEN_ORDER_STATUSES]}


def exposure_by_risk_class(*, tenant: Tenant) -> list[ClassExposure]:
    """Exposure, limits and utilisation per risk class (customers with a
    credit profile), class A first."""
    with connection.cursor() as cursor:
        cursor.execute(
            _EXPOSURE_CTE + _BY_CLASS,
            _params(tenant),
        )
        rows = cursor.fetchall()
    return [
        ClassExposure(risk, count, exposure.quantize(CENT), limit.quantize(CENT), over)
        for risk, count, exposure, limit, over in rows
    ]


def largest_over_limit(*, tenant: Tenant, limit: int = 8) -> list[OverLimitCustomer]:
    """The customers furthest over their (positive) credit limit."""
    with connection.cursor() as cursor:
        cursor.execute(
            _EXPOSURE_CTE + _OVER_LIMIT,
            {**_params(tenant), "limit": limit},
        )
        rows = cursor.fetchall()
    return [
        OverLimitCustomer(pk, number, name, risk, exposure.quantize(CENT), credit_limit)
        for pk, number, name, risk, exposure, credit_limit in rows
    ]


# --- collector ----------------------------------------------------------------------


def collection_target(*, tenant: Tenant, collector_id: int | None) -> Decimal | None:
    """The monthly target of one collector, or the team's targets added up
    (None when nobody has one)."""
    memberships = Membership.objects.for_tenant(tenant).filter(
        is_active=True, monthly_collection_target__isnull=False
    )
    if collector_id is not None:
        memberships = memberships.filter(user_id=collector_id)
    else:
        memberships = memberships.filter(role=Role.COLLECTOR.value)
    total = memberships.aggregate(total=Sum("monthly_collection_target"))["total"]
    return None if total is None else Decimal(total)


# --- AR clerk -----------------------------------------------------------------------

QUEUE_AGES = ((0, 2, "0-2 days"), (3, 7, "3-7 days"), (8, 30, "8-30 days"))


@dataclass(frozen=True)
class QueueAge:
    label: str
    count: int
    base_amount: Decimal  # unapplied cash, positive


@dataclass(frozen=True)
class CashQueue:
    count: int
    base_amount: Decimal
    oldest_value_date: date | None
    by_age: list[QueueAge]


def unapplied_cash_queue(*, tenant: Tenant, today: date) -> CashQueue:
    """Payments waiting for a person (unidentified or not fully applied):
    how many, how much still open in base currency, and how long they wait
    (days since the value date)."""
    waiting = Payment.objects.for_tenant(tenant).filter(
        status__in=[PaymentStatus.UNIDENTIFIED, PaymentStatus.UNAPPLIED]
    )
    # A payment's ledger item is a credit: its open base amount is negative.
    # An unidentified payment has no ledger item yet: its whole amount waits.
    queue = waiting.annotate(waiting=Coalesce(-F("open_item__open_base_amount"), F("amount")))
    aggregates: dict[str, Any] = {"count": Count("pk"), "base": Sum("waiting")}
    for index, (low, high, _label) in enumerate(QUEUE_AGES):
        window = Q(value_date__lte=today - timedelta(days=low)) & Q(
            value_date__gte=today - timedelta(days=high)
        )
        aggregates[f"n_{index}"] = Count("pk", filter=window)
        aggregates[f"b_{index}"] = Sum("waiting", filter=window)
    older = Q(value_date__lt=today - timedelta(days=QUEUE_AGES[-1][1]))
    aggregates["n_older"] = Count("pk", filter=older)
    aggregates["b_older"] = Sum("waiting", filter=older)
    aggregates["oldest"] = Min("value_date")
    row = queue.aggregate(**aggregates)
    by_age = [
        QueueAge(label, row[f"n_{index}"], (row[f"b_{index}"] or ZERO).quantize(CENT))
        for index, (_low, _high, label) in enumerate(QUEUE_AGES)
    ]
    by_age.append(QueueAge("over 30 days", row["n_older"], (row["b_older"] or ZERO).quantize(CENT)))
    return CashQueue(
        count=row["count"],
        base_amount=(row["base"] or ZERO).quantize(CENT),
        oldest_value_date=row["oldest"],
        by_age=by_age,
    )


@dataclass(frozen=True)
class StatementsToday:
    statements: int
    payments: int
    auto_applied: int

    @property
    def auto_rate_percent(self) -> Decimal | None:
        if not self.payments:
            return None
        return (Decimal(self.auto_applied) * 100 / self.payments).quantize(Decimal("0.1"))


def statements_imported_on(*, tenant: Tenant, day: date) -> StatementsToday:
    """Bank statements imported on `day` (tenant's time zone), the payments
    they brought and how many of those the matcher applied by itself."""
    zone = ZoneInfo(tenant.timezone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    statements = BankStatement.objects.for_tenant(tenant).filter(
        imported_at__gte=start, imported_at__lt=start + timedelta(days=1)
    )
    payment_ids = (
        BankStatementLine.objects.for_tenant(tenant)
        .filter(statement__in=statements, payment__isnull=False)
        .values("payment_id")
    )
    payments = Payment.objects.for_tenant(tenant).filter(pk__in=payment_ids)
    auto = (
        MatchProposal.objects.for_tenant(tenant)
        .filter(payment__in=payments, auto_applied=True)
        .values("payment_id")
        .distinct()
        .count()
    )
    return StatementsToday(
        statements=statements.count(), payments=payments.count(), auto_applied=auto
    )


@dataclass(frozen=True)
class InvoicesToSend:
    drafts: int
    never_sent: int  # issued invoices without any e-mail delivery
    never_sent_base: Decimal
    failed: list[InvoiceDelivery]
    failed_count: int


def invoices_to_send(*, tenant: Tenant, failed_limit: int = 5) -> InvoicesToSend:
    invoices = invoice_list(tenant=tenant, kind=InvoiceKind.INVOICE)
    drafts = invoices.filter(status=InvoiceStatus.DRAFT).count()
    delivered = InvoiceDelivery.objects.for_tenant(tenant).values("invoice_id")
    never_sent = (
        invoices.filter(status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID])
        .exclude(pk__in=delivered)
        .aggregate(count=Count("pk"), base=Sum("open_base_now"))
    )
    failed = (
        InvoiceDelivery.objects.for_tenant(tenant)
        .filter(status=DeliveryStatus.FAILED)
        .select_related("invoice")
        .order_by("-updated_at", "-pk")
    )
    return InvoicesToSend(
        drafts=drafts,
        never_sent=never_sent["count"],
        never_sent_base=(never_sent["base"] or ZERO).quantize(CENT),
        failed=list(failed[:failed_limit]),
        failed_count=failed.count(),
    )


# --- deductions analyst -------------------------------------------------------------

DEDUCTION_AGES = ((0, 30, "0-30 days"), (31, 60, "31-60 days"), (61, 90, "61-90 days"))


@dataclass(frozen=True)
class DeductionAge:
    label: str
    count: int
    base_amount: Decimal


def open_deductions_by_age(*, tenant: Tenant, today: date) -> list[DeductionAge]:
    """Open deductions by days since their document date, count and open
    value in base currency, in one aggregate over the queue."""
    rows = deduction_queue(tenant=tenant, filters=QueueFilters(), today=today)
    aggregates: dict[str, Any] = {}
    windows = [
        (
            label,
            Q(open_item__document_date__lte=today - timedelta(days=low))
            & Q(open_item__document_date__gte=today - timedelta(days=high)),
        )
        for low, high, label in DEDUCTION_AGES
    ]
    windows.append(
        (
            "over 90 days",
            Q(open_item__document_date__lt=today - timedelta(days=DEDUCTION_AGES[-1][1])),
        )
    )
    for index, (_label, window) in enumerate(windows):
        aggregates[f"n_{index}"] = Count("pk", filter=window)
        aggregates[f"b_{index}"] = Sum("open_item__open_base_amount", filter=window)
    row = rows.aggregate(**aggregates)
    return [
        DeductionAge(label, row[f"n_{index}"], (row[f"b_{index}"] or ZERO).quantize(CENT))
        for index, (label, _window) in enumerate(windows)
    ]
