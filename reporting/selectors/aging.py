"""Whole-book AR aging, grouped any way finance asks, in one SQL statement.

Today's aging by due date reads the summary the ledger's triggers keep
(ledger_agingbalance); a past date by due date takes off it what changed
after that date (ledger_agingchange), so neither reads the items. Aging by
document date reads the open items, and a past date by document date, or
only counting rows recorded before `known_at` ("exactly what we reported
then"), rebuilds them from the append-only applications, aggregated once
per item and joined (never a sub-query per item).

Items are aggregated per customer first (one hash aggregate over the
items) and only those per-customer rows are joined to the customer master
for the grouping, so a grouping by collector or risk class costs the same
as one by customer. Debit items age into the buckets; deductions and
unapplied credits (payments, credit memos) have their own columns. Raw SQL
because the ORM cannot express the two-stage aggregate; only whitelisted
fragments are formatted in, every value is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from otc.errors import ValidationFailed
from otc.ledger.models import ItemKind, ItemStatus, OpenItem
from otc.ledger.selectors import AgingBucket, open_items_as_of
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from reporting.selectors.common import BookFilter, buckets_for, tenant_bucket_days


class GroupBy(StrEnum):
    CUSTOMER = "customer"
    CUSTOMER_GROUP = "customer_group"
    COLLECTOR = "collector"
    RISK_CLASS = "risk_class"
    COUNTRY = "country"
    CURRENCY = "currency"


class AgeBy(StrEnum):
    DUE_DATE = "due_date"
    DOCUMENT_DATE = "document_date"


class AmountIn(StrEnum):
    BASE = "base"  # the tenant's base currency at each item's locked rate
    DOCUMENT = "document"  # each document's own currency, one row per currency


class AgingSort(StrEnum):
    TOTAL_DESC = "-total"
    TOTAL = "total"
    OVERDUE_DESC = "-overdue"
    LABEL = "label"


# (group key, label) per grouping; `c` is the customer, `gc` its group's head,
# `u` the collector, `cp` the credit profile, `pc` the per-customer row.
_DIMENSIONS: dict[GroupBy, tuple[str, str]] = {
    GroupBy.CUSTOMER: ("c.id::text", "c.number || ' ' || c.legal_name"),
    GroupBy.CUSTOMER_GROUP: ("gc.id::text", "gc.number || ' ' || gc.legal_name"),
    GroupBy.COLLECTOR: (
        "COALESCE(c.collector_id::text, '')",
        "COALESCE(NULLIF(u.full_name, ''), u.email, 'No collector')",
    ),
    GroupBy.RISK_CLASS: (
        "COALESCE(cp.risk_class, '')",
        "COALESCE('Class ' || cp.risk_class, 'No credit profile')",
    ),
    GroupBy.COUNTRY: ("c.country", "c.country"),
    GroupBy.CURRENCY: ("pc.currency", "pc.currency"),
}

_ORDER: dict[AgingSort, str] = {
    AgingSort.TOTAL_DESC: "total DESC, key",
    AgingSort.TOTAL: "total, key",
    AgingSort.OVERDUE_DESC: "overdue DESC, key",
    AgingSort.LABEL: "label, key",
}

# Today by due date: the summary the ledger's triggers keep (migration
# ledger 0003), a row per customer, currency, side and due date.
_ITEMS_TODAY_SUMMARY = """
    SELECT customer_id, side, currency, aging_date, open_amount,
           open_base_amount AS open_base, item_count
    FROM ledger_agingbalance
    WHERE tenant_id = %(tenant)s {item_filter}
"""

# A past date by due date: today's summary less what changed after the
# date (ledger_agingchange, migration ledger 0004), read from its index on
# the effective date; the further back, the more changes, never the items.
_ITEMS_AS_OF_SUMMARY = """
    SELECT customer_id, side, currency, aging_date, open_amount,
           open_base_amount AS open_base, item_count
    FROM ledger_agingbalance
    WHERE tenant_id = %(tenant)s {item_filter}
    UNION ALL
    SELECT customer_id, side, currency, aging_date, -open_amount,
           -open_base_amount, -item_count
    FROM ledger_agingchange
    WHERE tenant_id = %(tenant)s AND effective_date > %(as_of)s {item_filter}
"""

_ITEMS_TODAY = """
    SELECT customer_id,
           CASE WHEN kind = 'deduction' THEN 'deduction' WHEN amount < 0 THEN 'credit'
                ELSE 'debit' END AS side,
           currency, {aging_date} AS aging_date,
           open_amount, open_base_amount AS open_base, 1 AS item_count
    FROM ledger_openitem
    WHERE tenant_id = %(tenant)s AND status = 'open' {item_filter}
"""

_ITEMS_AS_OF = """
    SELECT i.customer_id,
           CASE WHEN i.kind = 'deduction' THEN 'deduction' WHEN i.amount < 0 THEN 'credit'
                ELSE 'debit' END AS side,
           i.currency, {aging_date_i} AS aging_date,
           i.amount - COALESCE(a.amount, 0) AS open_amount,
           i.base_amount - COALESCE(a.base, 0) AS open_base, 1 AS item_count
    FROM ledger_openitem AS i
    LEFT JOIN (
        SELECT item_id, SUM(amount) AS amount, SUM(base) AS base
        FROM (
            SELECT debit_item_id AS item_id, amount, debit_base_amount AS base
            FROM ledger_application
            WHERE tenant_id = %(tenant)s AND effective_date <= %(as_of)s {applied_known}
            UNION ALL
            SELECT credit_item_id, -credit_amount, -credit_base_amount
            FROM ledger_application
            WHERE tenant_id = %(tenant)s AND effective_date <= %(as_of)s {applied_known}
        ) AS sides
        GROUP BY item_id
    ) AS a ON a.item_id = i.id
    WHERE i.tenant_id = %(tenant)s AND i.document_date <= %(as_of)s {item_known}
          AND i.amount - COALESCE(a.amount, 0) <> 0 {item_filter_i}
"""

_AGING_SQL = """
WITH items AS ({items}),
per_customer AS (
    SELECT customer_id, {currency_column} AS currency, {bucket_sums},
           COALESCE(SUM({amount}) FILTER (WHERE side = 'deduction'), 0) AS deductions,
           COALESCE(SUM({amount}) FILTER (WHERE side = 'credit'), 0) AS unapplied,
           SUM(item_count) AS item_count
    FROM items
    GROUP BY customer_id, {currency_column}
    HAVING SUM(item_count) <> 0
),
grouped AS (
    SELECT {key} AS key, MIN({label}) AS label, {group_currency} AS currency,
           {bucket_totals},
           SUM(pc.deductions) AS deductions, SUM(pc.unapplied) AS unapplied,
           SUM(pc.item_count) AS item_count, COUNT(*) AS customer_count
    FROM per_customer AS pc
    JOIN customers_customer AS c ON c.id = pc.customer_id
    JOIN customers_customer AS gc ON gc.id = COALESCE(c.parent_id, c.id)
    LEFT JOIN credit_creditprofile AS cp ON cp.customer_id = c.id
    LEFT JOIN accounts_user AS u ON u.id = c.collector_id
    WHERE c.tenant_id = %(tenant)s {customer_filter}
    GROUP BY {key}, {group_currency}
),
ranked AS (
    SELECT *, {bucket_sum_expression} + deductions + unapplied AS total,
           {overdue_expression} AS overdue
    FROM grouped
),
page AS (
    SELECT * FROM ranked ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s
)
SELECT 'row' AS part, key, label, currency, {bucket_columns}, deductions, unapplied, total,
       item_count, customer_count, ROW_NUMBER() OVER (ORDER BY {order}) AS position
FROM page
UNION ALL
SELECT 'total', '', '', currency, {bucket_column_sums}, SUM(deductions), SUM(unapplied),
       SUM(total), SUM(item_count), SUM(customer_count), COUNT(*)
FROM ranked
GROUP BY currency
"""


@dataclass(frozen=True)
class AgingQuery:
    as_of: date
    group_by: GroupBy = GroupBy.CUSTOMER
    age_by: AgeBy = AgeBy.DUE_DATE
    amount_in: AmountIn = AmountIn.BASE
    book: BookFilter = field(default_factory=BookFilter)
    bucket_days: tuple[int, ...] | None = None  # None: the tenant's
    sort: AgingSort = AgingSort.TOTAL_DESC
    known_at: datetime | None = None


@dataclass(frozen=True)
class AgingLine:
    key: str  # the group's id: customer id, collector id, risk class, country, currency
    label: str
    currency: str  # the amounts' currency (the base currency, or the documents')
    buckets: list[Decimal]
    deductions: Decimal
    unapplied: Decimal  # negative: credits not yet applied
    total: Decimal
    item_count: int
    customer_count: int

    @property
    def overdue(self) -> Decimal:
        return sum(self.buckets[1:], Decimal(0))


@dataclass
class AgingReport:
    query: AgingQuery
    base_currency: str
    buckets: list[AgingBucket]
    rows: list[AgingLine]
    totals: list[AgingLine]  # one per currency (one line in base currency)
    group_count: int  # rows in the whole report, for paging
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.group_count // self.page_size))


def _bucket_sums(buckets: list[AgingBucket], amount: str) -> str:
    """SUM ... FILTER per bucket, comparing dates: `low` days past due means
    an aging date on or before as_of - low."""
    sums = []
    for index, bucket in enumerate(buckets):
        condition = "side = 'debit'"
        if bucket.low is not None:
            condition += f" AND aging_date <= %(as_of)s::date - {int(bucket.low)}"
        if bucket.high is not None:
            condition += f" AND aging_date >= %(as_of)s::date - {int(bucket.high)}"
        sums.append(f"COALESCE(SUM({amount}) FILTER (WHERE {condition}), 0) AS b{index}")
    return ", ".join(sums)


def validate_as_of(*, tenant: Tenant, as_of: date) -> None:
    if as_of > tenant_today(tenant):
        raise ValidationFailed(
            "The as-of date is in the future: aging shows what was open on a day that "
            "has happened. Use today or an earlier date.",
            errors={"as_of": ["Use today or an earlier date."]},
        )


def _items_sql(*, tenant: Tenant, query: AgingQuery, params: dict[str, Any]) -> str:
    """The open items (or summary rows) the report aggregates, with the
    filters that can be pushed into the scan; their values go to `params`."""
    date_column = "document_date" if query.age_by == AgeBy.DOCUMENT_DATE else None
    aging_date = date_column or "COALESCE(due_date, document_date)"
    aging_date_i = f"i.{date_column}" if date_column else "COALESCE(i.due_date, i.document_date)"
    item_filter = ""
    if query.book.currency:
        item_filter += " AND currency = %(f_currency)s"
        params["f_currency"] = query.book.currency
    if "page_customers" in params:
        item_filter += " AND customer_id = ANY(%(page_customers)s)"
    if query.book.customer_id is not None:
        # Pushed into the item scan so one customer's report reads its items only.
        item_filter += " AND customer_id = %(f_item_customer)s"
        params["f_item_customer"] = query.book.customer_id
    # The other customer filters (a collector's, a class's, a country's
    # customers) too: their rows are read through the per-customer index
    # instead of aggregating the whole book and dropping most of it.
    customer_scope = ""
    customer_conditions = query.book.customer_sql("c", params)
    if customer_conditions and query.book.customer_id is None:
        customer_scope = (
            " AND {column} IN (SELECT c.id FROM customers_customer AS c"  # noqa: S608
            f" WHERE c.tenant_id = %(tenant)s{customer_conditions})"
        )
    if query.as_of >= tenant_today(tenant) and query.known_at is None:
        template = _ITEMS_TODAY if date_column else _ITEMS_TODAY_SUMMARY
        return template.format(
            aging_date=aging_date,
            item_filter=item_filter + customer_scope.format(column="customer_id"),
        )
    if date_column is None and query.known_at is None:
        return _ITEMS_AS_OF_SUMMARY.format(
            item_filter=item_filter + customer_scope.format(column="customer_id")
        )
    applied_known = item_known = ""
    if query.known_at is not None:
        applied_known = "AND recorded_at < %(known_at)s"
        item_known = "AND i.recorded_at < %(known_at)s"
        params["known_at"] = query.known_at
    return _ITEMS_AS_OF.format(
        aging_date_i=aging_date_i,
        applied_known=applied_known,
        item_known=item_known,
        item_filter_i=item_filter.replace("AND ", "AND i.")
        + customer_scope.format(column="i.customer_id"),
    )


def aging_report(
    *, tenant: Tenant, query: AgingQuery, page: int = 1, page_size: int = 50
) -> AgingReport:
    validate_as_of(tenant=tenant, as_of=query.as_of)
    bucket_days = (
        query.bucket_days if query.bucket_days is not None else tenant_bucket_days(tenant=tenant)
    )
    buckets = buckets_for(bucket_days)
    page = max(1, page)
    params: dict[str, Any] = {
        "tenant": tenant.pk,
        "as_of": query.as_of,
        "limit": page_size,
        "offset": (page - 1) * page_size,
    }
    book_page = _customer_page(tenant=tenant, query=query, page=page, size=page_size)
    if book_page is not None:
        # Only the page's customers are aged; the ranking and the totals come
        # from the summaries (see _customer_page).
        params["page_customers"] = book_page.customers
        params["offset"] = 0
    items_sql = _items_sql(tenant=tenant, query=query, params=params)
    by_document = query.amount_in == AmountIn.DOCUMENT
    amount = "open_amount" if by_document else "open_base"
    # One per-customer row per documents' currency only where the report
    # splits by it; either way a group holds each customer at most once, so
    # counting its rows counts its customers.
    split_currency = by_document or query.group_by == GroupBy.CURRENCY
    currency_column = "currency" if split_currency else "%(base)s::text"
    key, label = _DIMENSIONS[query.group_by]
    group_currency = "pc.currency" if by_document else "%(base)s::text"
    params["base"] = str(tenant.base_currency)
    count = len(buckets)
    sql = _AGING_SQL.format(
        items=items_sql,
        currency_column=currency_column,
        bucket_sums=_bucket_sums(buckets, amount),
        amount=amount,
        key=key,
        label=label,
        group_currency=group_currency,
        bucket_totals=", ".join(f"SUM(pc.b{i}) AS b{i}" for i in range(count)),
        customer_filter=query.book.customer_sql("c", params),
        bucket_sum_expression=" + ".join(f"b{i}" for i in range(count)),
        overdue_expression=" + ".join(f"b{i}" for i in range(1, count)) if count > 1 else "0",
        order=_ORDER[query.sort],
        bucket_columns=", ".join(f"b{i}" for i in range(count)),
        bucket_column_sums=", ".join(f"SUM(b{i})" for i in range(count)),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # The whole book hashes every customer: give it the memory to do so
        # without spilling to disk, for this transaction only.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        fetched = cursor.fetchall()

    rows: list[tuple[int, AgingLine]] = []
    totals: list[AgingLine] = []
    group_count = 0
    for record in fetched:
        part, key_value, label_value, currency = record[:4]
        amounts = [Decimal(value) for value in record[4 : 4 + count]]
        deductions, unapplied, total, item_count, customer_count, position = record[4 + count :]
        line = AgingLine(
            key=str(key_value),
            label=str(label_value),
            currency=str(currency),
            buckets=amounts,
            deductions=Decimal(deductions),
            unapplied=Decimal(unapplied),
            total=Decimal(total),
            item_count=int(item_count),
            customer_count=int(customer_count),
        )
        if part == "row":
            rows.append((int(position), line))
        else:
            totals.append(line)
            # Per-currency totals count the same groups once per currency.
            group_count += int(position)
    rows.sort(key=lambda pair: pair[0])
    totals.sort(key=lambda line: line.currency)
    if book_page is not None:
        group_count = book_page.customer_count
        totals = [_book_totals(tenant=tenant, buckets=buckets, as_of=query.as_of, page=book_page)]
    return AgingReport(
        query=query,
        base_currency=str(tenant.base_currency),
        buckets=buckets,
        rows=[line for _, line in rows],
        totals=totals,
        group_count=group_count,
        page=page,
        page_size=page_size,
    )


@dataclass(frozen=True)
class _BookPage:
    """One page of the whole book's customers, ranked by their total, and
    what the book's totals need besides the buckets."""

    customers: list[int]
    customer_count: int  # customers with something open
    unapplied: Decimal  # open credits (negative), base currency
    item_count: int  # open items


# Per customer: today's balances, less (for a past date) what changed after
# it (ledger_agingchange, read from its index on the effective date).
_CUSTOMER_PAGE_SQL = """
WITH per_customer AS (
    SELECT customer_id, SUM(open_base) AS total,
           COALESCE(SUM(open_base) FILTER (WHERE side = 'credit'), 0) AS unapplied,
           SUM(item_count) AS item_count
    FROM (
        SELECT customer_id, side, open_base_amount AS open_base, item_count
        FROM ledger_customerbalance WHERE tenant_id = %(tenant)s
        {changes}
    ) AS balances
    GROUP BY customer_id
    HAVING SUM(item_count) <> 0
)
SELECT 'row', customer_id, 0, 0, 0
FROM (
    SELECT customer_id FROM per_customer
    ORDER BY total {direction}, customer_id::text
    LIMIT %(limit)s OFFSET %(offset)s
) AS page
UNION ALL
SELECT 'book', NULL, COUNT(*), COALESCE(SUM(unapplied), 0), COALESCE(SUM(item_count), 0)
FROM per_customer
"""

_CHANGES_AFTER = """
        UNION ALL
        SELECT customer_id, side, -open_base_amount, -item_count
        FROM ledger_agingchange WHERE tenant_id = %(tenant)s AND effective_date > %(as_of)s
"""


def _customer_page(*, tenant: Tenant, query: AgingQuery, page: int, size: int) -> _BookPage | None:
    """The whole book by customer by due date, largest (or smallest) balance
    first, is the report people open most, today or as of a past date: its
    page of customers is ranked from ledger_customerbalance (a few rows per
    customer; for a past date less what changed since) so only those
    customers' aging rows are read. None when the query needs more."""
    fast = (
        query.known_at is None
        and query.group_by == GroupBy.CUSTOMER
        and query.age_by == AgeBy.DUE_DATE
        and query.amount_in == AmountIn.BASE
        and query.sort in (AgingSort.TOTAL_DESC, AgingSort.TOTAL)
        and query.book.is_empty
    )
    if not fast:
        return None
    today = query.as_of >= tenant_today(tenant)
    sql = _CUSTOMER_PAGE_SQL.format(
        changes="" if today else _CHANGES_AFTER,
        direction="DESC" if query.sort == AgingSort.TOTAL_DESC else "ASC",
    )
    params: dict[str, Any] = {
        "tenant": tenant.pk,
        "as_of": query.as_of,
        "limit": size,
        "offset": (page - 1) * size,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    customers = [row[1] for row in fetched if row[0] == "row"]
    ((_, _, count, unapplied, item_count),) = [row for row in fetched if row[0] == "book"]
    return _BookPage(customers, int(count), Decimal(unapplied), int(item_count))


def _book_totals(
    *, tenant: Tenant, buckets: list[AgingBucket], as_of: date, page: _BookPage
) -> AgingLine:
    """The whole book's buckets without reading a row per customer: the
    debit side (receivables and deductions) per aging date is what the
    ledger's daily flows billed less what they applied (ledger_receivableflow,
    a few ten thousand rows), up to `as_of` for a past date (an application
    counts from its item's document date on, as in ledger_agingchange); the
    unapplied credits and the open item count come with the page."""
    count = len(buckets)
    up_to = (
        ""
        if as_of >= tenant_today(tenant)
        else "AND GREATEST(effective_date, document_date) <= %(as_of)s"
    )
    sql = f"""
        SELECT {_bucket_sums(buckets, "open_base")},
               COALESCE(SUM(open_base) FILTER (WHERE side = 'deduction'), 0)
        FROM (
            SELECT CASE WHEN item_kind = 'deduction' THEN 'deduction' ELSE 'debit' END AS side,
                   aging_date,
                   SUM(CASE WHEN flow = 'billed' THEN base_amount ELSE -base_amount END)
                       AS open_base
            FROM ledger_receivableflow WHERE tenant_id = %(tenant)s {up_to}
            GROUP BY 1, 2
        ) AS by_day
    """  # noqa: S608  (bucket sums are built from integers, the condition is ours)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, {"tenant": tenant.pk, "as_of": as_of})
        record = cursor.fetchone()
    if record is None:  # pragma: no cover  (an aggregate always answers one row)
        raise RuntimeError("the totals query returned nothing")
    amounts = [Decimal(value) for value in record[:count]]
    deductions = Decimal(record[count])
    return AgingLine(
        key="",
        label="",
        currency=str(tenant.base_currency),
        buckets=amounts,
        deductions=deductions,
        unapplied=page.unapplied,
        total=sum(amounts, deductions + page.unapplied),
        item_count=page.item_count,
        customer_count=page.customer_count,
    )


# --- drill-down: the items behind one cell ------------------------------------------


class Column(StrEnum):
    DEDUCTIONS = "deductions"
    UNAPPLIED = "unapplied"
    TOTAL = "total"


def _group_condition(group_by: GroupBy, key: str) -> Q:
    if group_by == GroupBy.CUSTOMER:
        return Q(customer_id=_int_key(key))
    if group_by == GroupBy.CUSTOMER_GROUP:
        group_id = _int_key(key)
        return Q(customer_id=group_id) | Q(customer__parent_id=group_id)
    if group_by == GroupBy.COLLECTOR:
        return (
            Q(customer__collector__isnull=True)
            if key == ""
            else Q(customer__collector_id=_int_key(key))
        )
    if group_by == GroupBy.RISK_CLASS:
        return (
            Q(customer__credit_profile__isnull=True)
            if key == ""
            else Q(customer__credit_profile__risk_class=key)
        )
    if group_by == GroupBy.COUNTRY:
        return Q(customer__country=key)
    return Q(currency=key)


def _int_key(key: str) -> int:
    try:
        return int(key)
    except ValueError:
        raise ValidationFailed(
            "Unknown group: use the key of a row of the report.", errors={"key": ["Not an id."]}
        ) from None


def _book_condition(book: BookFilter) -> Q:
    condition = Q()
    if book.customer_id is not None:
        condition &= Q(customer_id=book.customer_id)
    if book.customer_group_id is not None:
        condition &= Q(customer_id=book.customer_group_id) | Q(
            customer__parent_id=book.customer_group_id
        )
    if book.collector_id is not None:
        condition &= Q(customer__collector_id=book.collector_id)
    if book.risk_class:
        condition &= Q(customer__credit_profile__risk_class=book.risk_class)
    if book.country:
        condition &= Q(customer__country=book.country)
    if book.currency:
        condition &= Q(currency=book.currency)
    return condition


def aging_cell_items(
    *,
    tenant: Tenant,
    query: AgingQuery,
    key: str,
    column: str,
    currency: str = "",
) -> QuerySet[Any]:
    """The items behind one cell of `aging_report`: the row `key`, and a
    bucket label ("Current", "1-30", ...), "deductions", "unapplied" or
    "total". Each item is annotated with `open_as_of` / `open_base_as_of`
    and `aging_date`. With amounts per document currency, `currency` names
    the row's currency."""
    validate_as_of(tenant=tenant, as_of=query.as_of)
    bucket_days = (
        query.bucket_days if query.bucket_days is not None else tenant_bucket_days(tenant=tenant)
    )
    buckets = buckets_for(bucket_days)
    items: QuerySet[Any]
    if query.as_of >= tenant_today(tenant) and query.known_at is None:
        items = (
            OpenItem.objects.for_tenant(tenant)
            .filter(status=ItemStatus.OPEN)
            .annotate(open_as_of=F("open_amount"), open_base_as_of=F("open_base_amount"))
        )
    else:
        items = open_items_as_of(tenant=tenant, as_of=query.as_of, known_at=query.known_at)
    date_field = "document_date" if query.age_by == AgeBy.DOCUMENT_DATE else None
    items = items.annotate(
        aging_date=F(date_field) if date_field else Coalesce("due_date", "document_date")
    )
    items = items.filter(_book_condition(query.book), _group_condition(query.group_by, key))
    if currency and query.amount_in == AmountIn.DOCUMENT:
        items = items.filter(currency=currency)
    if column == Column.DEDUCTIONS:
        items = items.filter(kind=ItemKind.DEDUCTION)
    elif column == Column.UNAPPLIED:
        items = items.filter(amount__lt=0)
    elif column != Column.TOTAL:
        bucket = next((b for b in buckets if b.label == column), None)
        if bucket is None:
            labels = ", ".join([b.label for b in buckets] + [c.value for c in Column])
            raise ValidationFailed(
                f"Unknown column '{column}': use one of {labels}.",
                errors={"column": [f"Use one of {labels}."]},
            )
        items = items.filter(amount__gt=0).exclude(kind=ItemKind.DEDUCTION)
        if bucket.low is not None:
            items = items.filter(Q(aging_date__lte=query.as_of - timedelta(days=bucket.low)))
        if bucket.high is not None:
            items = items.filter(Q(aging_date__gte=query.as_of - timedelta(days=bucket.high)))
    return items.select_related("customer").order_by("aging_date", "pk")


@dataclass(frozen=True)
class OverdueCustomer:
    customer_id: int
    number: str
    name: str
    overdue: Decimal  # base currency
    oldest_due: date


def top_overdue_customers(*, tenant: Tenant, limit: int = 10) -> list[OverdueCustomer]:
    """The customers with the most past due today (base currency), from the
    aging summaries; deductions and unapplied cash are left out. What is
    past due is a customer's receivables (ledger_customerbalance) less what
    is not due yet, and only the not-yet-due rows of ledger_agingbalance
    are read (a few weeks of due dates, through its date index), not every
    overdue row of the book."""
    sql = """
        WITH not_due AS (
            SELECT customer_id, SUM(open_base_amount) AS amount
            FROM ledger_agingbalance
            WHERE tenant_id = %(tenant)s AND side = 'debit' AND aging_date >= %(today)s
            GROUP BY customer_id
        ),
        top AS (
            SELECT b.customer_id, SUM(b.open_base_amount) - COALESCE(MIN(n.amount), 0) AS overdue
            FROM ledger_customerbalance AS b
            LEFT JOIN not_due AS n ON n.customer_id = b.customer_id
            WHERE b.tenant_id = %(tenant)s AND b.side = 'debit'
            GROUP BY b.customer_id
            HAVING SUM(b.open_base_amount) - COALESCE(MIN(n.amount), 0) <> 0
            ORDER BY overdue DESC, b.customer_id
            LIMIT %(limit)s
        )
        SELECT t.customer_id, c.number, c.legal_name, t.overdue,
               (SELECT MIN(a.aging_date) FROM ledger_agingbalance AS a
                WHERE a.tenant_id = %(tenant)s AND a.customer_id = t.customer_id
                  AND a.side = 'debit' AND a.aging_date < %(today)s)
        FROM top AS t
        JOIN customers_customer AS c ON c.id = t.customer_id
        ORDER BY t.overdue DESC, t.customer_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"tenant": tenant.pk, "today": tenant_today(tenant), "limit": limit})
        rows = cursor.fetchall()
    return [OverdueCustomer(row[0], row[1], row[2], row[3], row[4]) for row in rows]
