"""Reading the AR ledger: balances, open items (today or as of any past
date) and aging.

"As of D" counts what happened on business dates up to D: items by document
date, applications by effective date. That is what finance expects (opening
balances imported at go-live show in last month's aging by their invoice
dates). For "exactly what we reported then", pass `known_at`: only rows
recorded before that instant count, so a payment keyed in next week with a
value date of D cannot rewrite the report. Either way the past never
changes by anything dated after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from otc.customers.models import Customer
from otc.ledger.models import Application, ItemStatus, OpenItem, amount_field
from otc.tenancy.models import Tenant

DEFAULT_BUCKETS: tuple[int, ...] = (0, 30, 60, 90, 120)
_ZERO = Value(Decimal(0), output_field=amount_field())


@dataclass(frozen=True)
class AgingBucket:
    label: str
    low: int | None  # days past due, inclusive; None = no lower bound
    high: int | None  # inclusive; None = no upper bound


def aging_buckets(boundaries: Sequence[int] = DEFAULT_BUCKETS) -> list[AgingBucket]:
    """(0, 30, 60) -> Current (<= 0 days past due), 1-30, 31-60, 60+."""
    if list(boundaries) != sorted(set(boundaries)) or not boundaries or boundaries[0] != 0:
        raise ValueError(
            "Bucket boundaries must start at 0 and increase, e.g. (0, 30, 60, 90, 120)."
        )
    buckets = [AgingBucket("Current", None, 0)]
    for low, high in pairwise(boundaries):
        buckets.append(AgingBucket(f"{low + 1}-{high}", low + 1, high))
    buckets.append(AgingBucket(f"{boundaries[-1]}+", boundaries[-1] + 1, None))
    return buckets


@dataclass(frozen=True)
class CustomerBalance:
    by_currency: dict[str, Decimal]
    base: Decimal
    base_currency: str


@dataclass
class AgingRow:
    customer_id: int
    buckets: list[Decimal]  # base currency, one per bucket
    total: Decimal
    unapplied: Decimal = Decimal(0)  # open credits (unapplied cash, credit memos), base


@dataclass
class Aging:
    as_of: date
    base_currency: str
    buckets: list[AgingBucket]
    rows: list[AgingRow] = field(default_factory=list)

    @property
    def totals(self) -> list[Decimal]:
        return [
            sum((row.buckets[i] for row in self.rows), Decimal(0)) for i in range(len(self.buckets))
        ]


def end_of_day(*, tenant: Tenant, day: date) -> datetime:
    """The instant `day` ends in the tenant's time zone: the natural
    `known_at` for "as we reported it that evening"."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(tenant.timezone))


def customer_balance(*, tenant: Tenant, customer: Customer) -> CustomerBalance:
    rows = (
        OpenItem.objects.for_tenant(tenant)
        .filter(customer=customer, status=ItemStatus.OPEN)
        .values("currency")
        .annotate(open=Sum("open_amount"), open_base=Sum("open_base_amount"))
        .order_by("currency")
    )
    by_currency = {row["currency"]: row["open"] for row in rows}
    base = sum((row["open_base"] for row in rows), Decimal(0))
    return CustomerBalance(by_currency=by_currency, base=base, base_currency=tenant.base_currency)


def open_items(*, tenant: Tenant, customer: Customer | None = None) -> QuerySet[OpenItem]:
    items = OpenItem.objects.for_tenant(tenant).filter(status=ItemStatus.OPEN)
    if customer is not None:
        items = items.filter(customer=customer)
    return items.order_by("due_date", "document_date", "pk")


def open_items_as_of(
    *,
    tenant: Tenant,
    as_of: date,
    customer: Customer | None = None,
    known_at: datetime | None = None,
) -> QuerySet[OpenItem]:
    """Items that were open at the end of `as_of`, annotated with
    `open_as_of` and `open_base_as_of` (what was still open then)."""
    applied = Application.objects.for_tenant(tenant).filter(effective_date__lte=as_of)
    items = OpenItem.objects.for_tenant(tenant).filter(document_date__lte=as_of)
    if known_at is not None:
        applied = applied.filter(recorded_at__lt=known_at)
        items = items.filter(recorded_at__lt=known_at)

    def _sum(side: str, column: str) -> Subquery:
        return Subquery(
            applied.filter(**{side: OuterRef("pk")})
            .order_by()
            .values(side)
            .annotate(total=Sum(column))
            .values("total"),
            output_field=amount_field(),
        )

    if customer is not None:
        items = items.filter(customer=customer)
    debit_side = Q(amount__gt=0)
    annotated = items.annotate(
        applied_amount=Case(
            When(debit_side, then=Coalesce(_sum("debit_item", "amount"), _ZERO)),
            default=-Coalesce(_sum("credit_item", "credit_amount"), _ZERO),
        ),
        applied_base=Case(
            When(debit_side, then=Coalesce(_sum("debit_item", "debit_base_amount"), _ZERO)),
            default=Coalesce(_sum("credit_item", "credit_base_amount"), _ZERO),
        ),
    ).annotate(
        open_as_of=ExpressionWrapper(
            F("amount") - F("applied_amount"), output_field=amount_field()
        ),
        open_base_as_of=Case(
            When(debit_side, then=F("base_amount") - F("applied_base")),
            default=F("base_amount") + F("applied_base"),
            output_field=amount_field(),
        ),
    )
    return annotated.exclude(open_as_of=0).order_by("due_date", "document_date", "pk")


def _days_past_due(as_of: date) -> Func:
    # Items without a due date (payments, credits) age from their document
    # date. Postgres' date - date is a whole number of days (Django's own
    # subtraction would make it an interval).
    return Func(
        Value(as_of),
        Coalesce(F("due_date"), F("document_date")),
        template="(%(expressions)s)",
        arg_joiner="::date - ",
        output_field=IntegerField(),
    )


def aging_by_customer(
    *,
    tenant: Tenant,
    as_of: date | None = None,
    boundaries: Sequence[int] = DEFAULT_BUCKETS,
    customer: Customer | None = None,
    known_at: datetime | None = None,
) -> Aging:
    """Debit items' open base amounts per customer and bucket; open credits
    (unapplied cash, unused credit memos) in their own column. Today's aging
    reads the open amounts kept on the items; a past date replays the
    applications (see module docstring)."""
    buckets = aging_buckets(boundaries)
    today = timezone.localdate(timezone=ZoneInfo(tenant.timezone))
    as_of = as_of or today
    items: QuerySet[Any]
    if as_of >= today and known_at is None:
        items = open_items(tenant=tenant, customer=customer).annotate(
            open_base_now=F("open_base_amount")
        )
        base_column = "open_base_now"
    else:
        items = open_items_as_of(tenant=tenant, as_of=as_of, customer=customer, known_at=known_at)
        base_column = "open_base_as_of"

    items = items.annotate(days=_days_past_due(as_of))
    aggregates = {}
    for index, bucket in enumerate(buckets):
        condition = Q(amount__gt=0)
        if bucket.low is not None:
            condition &= Q(days__gte=bucket.low)
        if bucket.high is not None:
            condition &= Q(days__lte=bucket.high)
        aggregates[f"b{index}"] = Coalesce(Sum(base_column, filter=condition), _ZERO)
    aggregates["unapplied"] = Coalesce(Sum(base_column, filter=Q(amount__lt=0)), _ZERO)
    rows: Any = (
        items.order_by().values("customer_id").annotate(**aggregates).order_by("customer_id")
    )

    aging = Aging(as_of=as_of, base_currency=tenant.base_currency, buckets=buckets)
    for row in rows:
        amounts = [row[f"b{index}"] for index in range(len(buckets))]
        aging.rows.append(
            AgingRow(
                customer_id=row["customer_id"],
                buckets=amounts,
                total=sum(amounts, Decimal(0)) + row["unapplied"],
                unapplied=row["unapplied"],
            )
        )
    return aging
