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

from django.db import connection, transaction
from django.db.models import (
    Case,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from otc.customers.models import Customer
from otc.ledger.models import Application, ItemStatus, OpenItem, Posting, amount_field
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


def ledger_version(*, tenant: Tenant) -> int:
    """The id of the tenant's latest posting: it grows with every change of
    the ledger, so caches of figures drawn from it key on it. One index
    probe on (tenant, id)."""
    last: int | None = Posting.objects.for_tenant(tenant).aggregate(last=Max("pk"))["last"]
    return last or 0


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


# One statement serves today's aging and any past date. Today reads the open
# amounts kept on the items; a past date rebuilds them from the applications
# aggregated once (a join, not a sub-query per item), so a whole book of a
# million items ages in one pass; for one customer only that customer's
# applications are read (through the item indexes), not the whole book's.
# Raw SQL because the ORM cannot express the aggregated join without
# correlated sub-queries. Only whitelisted fragments are formatted in; every
# value is a bound parameter.
_AGING_SQL = """
WITH applied AS (
    SELECT item_id, SUM(amount) AS amount, SUM(base) AS base
    FROM (
        SELECT debit_item_id AS item_id, amount, debit_base_amount AS base
        FROM ledger_application
        WHERE tenant_id = %(tenant)s AND effective_date <= %(as_of)s {applied_known}
              {debit_customer}
        UNION ALL
        SELECT credit_item_id, -credit_amount, -credit_base_amount
        FROM ledger_application
        WHERE tenant_id = %(tenant)s AND effective_date <= %(as_of)s {applied_known}
              {credit_customer}
    ) AS sides
    GROUP BY item_id
),
items AS (
    SELECT i.customer_id, i.amount,
           COALESCE(i.due_date, i.document_date) AS aging_date,
           i.base_amount - COALESCE(a.base, 0) AS open_base,
           i.amount - COALESCE(a.amount, 0) AS open_amount
    FROM ledger_openitem AS i LEFT JOIN applied AS a ON a.item_id = i.id
    WHERE i.tenant_id = %(tenant)s AND i.document_date <= %(as_of)s {item_known} {item_customer}
)
SELECT customer_id, {bucket_sums},
       COALESCE(SUM(open_base) FILTER (WHERE amount < 0), 0) AS unapplied
FROM items
WHERE open_amount <> 0
GROUP BY customer_id
ORDER BY customer_id
"""

_AGING_TODAY_SQL = """
SELECT customer_id, {bucket_sums},
       COALESCE(SUM(open_base) FILTER (WHERE amount < 0), 0) AS unapplied
FROM (
    SELECT customer_id, amount, open_base_amount AS open_base,
           COALESCE(due_date, document_date) AS aging_date
    FROM ledger_openitem
    WHERE tenant_id = %(tenant)s AND status = 'open' {item_customer}
) AS items
GROUP BY customer_id
ORDER BY customer_id
"""


def _bucket_sums(buckets: list[AgingBucket]) -> str:
    """SUM ... FILTER per bucket, comparing dates (cheaper than computing the
    days past due of every row): `low` days past due means due on or before
    as_of - low."""
    sums = []
    for index, bucket in enumerate(buckets):
        condition = "amount > 0"
        if bucket.low is not None:
            condition += f" AND aging_date <= %(as_of)s::date - {int(bucket.low)}"
        if bucket.high is not None:
            condition += f" AND aging_date >= %(as_of)s::date - {int(bucket.high)}"
        sums.append(f"COALESCE(SUM(open_base) FILTER (WHERE {condition}), 0) AS b{index}")
    return ", ".join(sums)


def aging_by_customer(
    *,
    tenant: Tenant,
    as_of: date | None = None,
    boundaries: Sequence[int] = DEFAULT_BUCKETS,
    customer: Customer | None = None,
    known_at: datetime | None = None,
) -> Aging:
    """Debit items' open base amounts per customer and bucket; open credits
    (unapplied cash, unused credit memos) in their own column. Days past due
    count from the due date, or the document date for items without one."""
    buckets = aging_buckets(boundaries)
    today = timezone.localdate(timezone=ZoneInfo(tenant.timezone))
    as_of = as_of or today
    params: dict[str, Any] = {"tenant": tenant.pk, "as_of": as_of}
    item_customer = ""
    if customer is not None:
        item_customer = "AND customer_id = %(customer)s"
        params["customer"] = customer.pk
    if as_of >= today and known_at is None:
        sql = _AGING_TODAY_SQL.format(
            bucket_sums=_bucket_sums(buckets), item_customer=item_customer
        )
    else:
        applied_known = item_known = ""
        if known_at is not None:
            applied_known = "AND recorded_at < %(known_at)s"
            item_known = "AND i.recorded_at < %(known_at)s"
            params["known_at"] = known_at
        debit_customer = credit_customer = ""
        if customer is not None:
            customer_items = (
                "IN (SELECT id FROM ledger_openitem"
                " WHERE tenant_id = %(tenant)s AND customer_id = %(customer)s)"
            )
            debit_customer = f"AND debit_item_id {customer_items}"
            credit_customer = f"AND credit_item_id {customer_items}"
        sql = _AGING_SQL.format(
            bucket_sums=_bucket_sums(buckets),
            applied_known=applied_known,
            debit_customer=debit_customer,
            credit_customer=credit_customer,
            item_known=item_known,
            item_customer=item_customer.replace("customer_id", "i.customer_id"),
        )
    with transaction.atomic(), connection.cursor() as cursor:
        # A whole-book aging hashes every customer; give it the memory to do
        # so without spilling to disk, for this transaction only.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    aging = Aging(as_of=as_of, base_currency=tenant.base_currency, buckets=buckets)
    bucket_count = len(buckets)
    for row in rows:
        amounts = list(row[1 : 1 + bucket_count])
        unapplied = row[1 + bucket_count]
        aging.rows.append(
            AgingRow(
                customer_id=row[0],
                buckets=amounts,
                total=sum(amounts, unapplied),
                unapplied=unapplied,
            )
        )
    return aging


# --- lists for the API and the pages of a customer's items ------------------------


def _last_applied(applications: QuerySet[Application], side: str) -> Subquery:
    return Subquery(
        applications.filter(**{side: OuterRef("pk")})
        .order_by()
        .values(side)
        .annotate(last=Max("recorded_at"))
        .values("last")
    )


def open_item_list(
    *,
    tenant: Tenant,
    customer_id: int | None = None,
    status: str = "",
    currency: str = "",
    kind: str = "",
    updated_since: datetime | None = None,
) -> QuerySet[OpenItem]:
    """Items (open and closed) matching every filter given, unordered, each
    annotated with `updated_at`: when it last changed. An item changes when it
    is posted and when an application (or the reversal of one) moves its open
    amount, so that is the latest of those instants; `updated_since` keeps the
    items changed at or after it, for an ERP's delta sync."""
    applications = Application.objects.for_tenant(tenant)
    items = (
        OpenItem.objects.for_tenant(tenant)
        .select_related("customer")
        .annotate(
            updated_at=Greatest(
                "recorded_at",
                Coalesce(_last_applied(applications, "debit_item"), "recorded_at"),
                Coalesce(_last_applied(applications, "credit_item"), "recorded_at"),
            )
        )
    )
    if customer_id is not None:
        items = items.filter(customer_id=customer_id)
    if status:
        items = items.filter(status=status)
    if currency:
        items = items.filter(currency=currency)
    if kind:
        items = items.filter(kind=kind)
    if updated_since is not None:
        # Candidates first through the indexed recorded_at columns; the
        # annotation then orders them.
        changed = applications.filter(recorded_at__gte=updated_since)
        items = items.filter(
            Q(recorded_at__gte=updated_since)
            | Q(pk__in=changed.values("debit_item_id"))
            | Q(pk__in=changed.values("credit_item_id"))
        )
    return items


def item_applications(
    *, tenant: Tenant, item_ids: Sequence[int], as_of: date | None = None
) -> dict[int, list[Application]]:
    """The applications on each of `item_ids` (as the debit or the credit
    side), effective up to `as_of` when given, oldest first: one query for a
    whole page of items."""
    applications = (
        Application.objects.for_tenant(tenant)
        .filter(Q(debit_item_id__in=item_ids) | Q(credit_item_id__in=item_ids))
        .select_related("debit_item", "credit_item")
        .order_by("effective_date", "pk")
    )
    if as_of is not None:
        applications = applications.filter(effective_date__lte=as_of)
    wanted = set(item_ids)
    by_item: dict[int, list[Application]] = {item_id: [] for item_id in item_ids}
    for application in applications:
        for item_id in {application.debit_item_id, application.credit_item_id} & wanted:
            by_item[item_id].append(application)
    return by_item


@dataclass(frozen=True)
class AgedItem:
    item: OpenItem
    open_amount: Decimal  # item currency, at the end of as_of
    open_base_amount: Decimal
    days_past_due: int
    bucket: str | None  # None for credits: they age as unapplied, not by due date


@dataclass
class CustomerAging:
    customer_id: int
    as_of: date
    base_currency: str
    buckets: list[AgingBucket]
    amounts: list[Decimal]  # base currency, one per bucket
    unapplied: Decimal
    total: Decimal
    items: list[AgedItem] = field(default_factory=list)


def _bucket_of(buckets: list[AgingBucket], days_past_due: int) -> AgingBucket:
    for bucket in buckets:
        if (bucket.low is None or days_past_due >= bucket.low) and (
            bucket.high is None or days_past_due <= bucket.high
        ):
            return bucket
    raise AssertionError("aging buckets cover every number of days")  # pragma: no cover


def customer_aging(
    *,
    tenant: Tenant,
    customer: Customer,
    as_of: date | None = None,
    boundaries: Sequence[int] = DEFAULT_BUCKETS,
    with_items: bool = True,
) -> CustomerAging:
    """One customer's aging (one aging query) and, with `with_items`, the
    items open at the end of `as_of` with their bucket (one more query)."""
    aging = aging_by_customer(tenant=tenant, as_of=as_of, boundaries=boundaries, customer=customer)
    row = aging.rows[0] if aging.rows else None
    zero = Decimal(0)
    result = CustomerAging(
        customer_id=customer.pk,
        as_of=aging.as_of,
        base_currency=aging.base_currency,
        buckets=aging.buckets,
        amounts=list(row.buckets) if row else [zero] * len(aging.buckets),
        unapplied=row.unapplied if row else zero,
        total=row.total if row else zero,
    )
    if with_items:
        for item in open_items_as_of(tenant=tenant, as_of=aging.as_of, customer=customer):
            days = (aging.as_of - (item.due_date or item.document_date)).days
            is_debit = item.amount > 0
            result.items.append(
                AgedItem(
                    item=item,
                    open_amount=item.open_as_of,  # type: ignore[attr-defined]
                    open_base_amount=item.open_base_as_of,  # type: ignore[attr-defined]
                    days_past_due=days,
                    bucket=_bucket_of(aging.buckets, days).label if is_debit else None,
                )
            )
    return result
