"""Monthly KPIs read from the ledger in two aggregate queries, whatever the
number of months.

Receivables at the end of month M are the debit items dated up to M minus
what was applied to them up to M, so the items are summed once by
(document month, due month, side) and the applications on them by
(effective month, the item's document and due month, side, kind); every
month's receivables, current part, deductions, collections and write-offs
are then prefix sums over those few hundred rows. All amounts are in the
base currency at each item's locked rate. Month ends are calendar month
ends; the running month counts up to today.

The whole book (or one documents' currency) is read from the ledger's daily
summary of what was billed and applied (ledger_receivableflow, kept by the
ledger's triggers): a few ten thousand rows however many items there are.
A book narrowed to some customers reads their items and applications.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import TruncMonth

from collections_app.models import MatchProposal, Payment, PaymentStatus
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from reporting import formulas
from reporting.selectors.common import BookFilter

ZERO = Decimal(0)
DSO_PERIOD_MONTHS = 3  # simple DSO, BPDSO and DDO use the last quarter's sales
COUNTBACK_MONTHS = 24

# Both queries sum by plain dates first (cheap keys, a few thousand groups)
# and only then by month, so the month arithmetic runs on those groups, not
# on every row.
_ITEMS_SQL = """
SELECT date_trunc('month', doc::timestamp)::date AS doc_month,
       date_trunc('month', due::timestamp)::date AS due_month,
       CASE WHEN kind = 'deduction' THEN 'deduction' ELSE 'debit' END AS side,
       kind, due > %(end)s AS due_after_today,
       SUM(base)
FROM (
    SELECT i.document_date AS doc, COALESCE(i.due_date, i.document_date) AS due, i.kind,
           SUM(i.base_amount) AS base
    FROM ledger_openitem AS i
    WHERE i.tenant_id = %(tenant)s AND i.amount > 0 AND i.document_date <= %(end)s {filters}
    GROUP BY 1, 2, 3
) AS by_day
GROUP BY 1, 2, 3, 4, 5
"""

_APPLIED_SQL = """
SELECT date_trunc('month', effective_date::timestamp)::date AS month,
       date_trunc('month', doc::timestamp)::date AS doc_month,
       date_trunc('month', due::timestamp)::date AS due_month,
       CASE WHEN item_kind = 'deduction' THEN 'deduction' ELSE 'debit' END AS side,
       kind, due > %(end)s AS due_after_today,
       SUM(base), SUM(base * (effective_date - due))
FROM (
    SELECT a.effective_date, i.document_date AS doc,
           COALESCE(i.due_date, i.document_date) AS due, i.kind AS item_kind, a.kind,
           SUM(a.debit_base_amount) AS base
    FROM ledger_application AS a
    JOIN ledger_openitem AS i ON i.id = a.debit_item_id
    WHERE a.tenant_id = %(tenant)s AND a.effective_date <= %(end)s {filters}
    GROUP BY 1, 2, 3, 4, 5
) AS by_day
GROUP BY 1, 2, 3, 4, 5, 6
"""


# The same two results from the daily summary (the whole book): its rows
# carry the debit item's kind, document and aging date (= COALESCE(due date,
# document date)), so every grouping above is available without the items.
_FLOW_ITEMS_SQL = """
SELECT date_trunc('month', document_date::timestamp)::date AS doc_month,
       date_trunc('month', aging_date::timestamp)::date AS due_month,
       CASE WHEN item_kind = 'deduction' THEN 'deduction' ELSE 'debit' END AS side,
       item_kind, aging_date > %(end)s AS due_after_today,
       SUM(base)
FROM (
    SELECT document_date, aging_date, item_kind, SUM(base_amount) AS base
    FROM ledger_receivableflow
    WHERE tenant_id = %(tenant)s AND flow = 'billed' AND document_date <= %(end)s {filters}
    GROUP BY 1, 2, 3
) AS by_day
GROUP BY 1, 2, 3, 4, 5
"""

_FLOW_APPLIED_SQL = """
SELECT date_trunc('month', effective_date::timestamp)::date AS month,
       date_trunc('month', document_date::timestamp)::date AS doc_month,
       date_trunc('month', aging_date::timestamp)::date AS due_month,
       CASE WHEN item_kind = 'deduction' THEN 'deduction' ELSE 'debit' END AS side,
       flow, aging_date > %(end)s AS due_after_today,
       SUM(base), SUM(base * (effective_date - aging_date))
FROM (
    SELECT effective_date, document_date, aging_date, item_kind, flow,
           SUM(base_amount) AS base
    FROM ledger_receivableflow
    WHERE tenant_id = %(tenant)s AND flow <> 'billed' AND effective_date <= %(end)s {filters}
    GROUP BY 1, 2, 3, 4, 5
) AS by_day
GROUP BY 1, 2, 3, 4, 5, 6
"""


@dataclass
class MonthFigures:
    """The inputs of one month's KPIs (base currency) and the KPIs."""

    month: date  # first day
    end: date  # month end, or today for the running month
    days: int
    receivables: Decimal = ZERO  # open debit items incl. deductions at the end
    current: Decimal = ZERO  # of which not yet due
    deductions: Decimal = ZERO  # open deductions at the end
    opening_receivables: Decimal = ZERO
    sales: Decimal = ZERO  # invoices and debit memos dated in the month
    period_sales: Decimal = ZERO  # the last DSO_PERIOD_MONTHS months' sales
    period_days: int = 0
    collected: Decimal = ZERO  # cash applied in the month
    written_off: Decimal = ZERO
    days_late_weighted_sum: Decimal = ZERO  # sum(amount x days late) of cash applied
    countback_periods: list[tuple[Decimal, int]] = field(default_factory=list)
    kpis: dict[str, Decimal | None] = field(default_factory=dict)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _filters(book: BookFilter, params: dict[str, Any]) -> tuple[str, str, bool]:
    """(condition on the items `i`, condition on the summary, whether the
    summary answers): the summary has no customers, only currencies."""
    item_sql = summary_sql = ""
    customer_conditions = book.customer_sql("c", params)
    if customer_conditions:
        item_sql += (
            " AND i.customer_id IN (SELECT c.id FROM customers_customer AS c"  # noqa: S608
            f" WHERE c.tenant_id = %(tenant)s{customer_conditions})"
        )
    if book.currency:
        item_sql += " AND i.currency = %(f_currency)s"
        summary_sql += " AND currency = %(f_currency)s"
        params["f_currency"] = book.currency
    return item_sql, summary_sql, not customer_conditions


def _month_rows(*, tenant: Tenant, book: BookFilter, today: date) -> tuple[list[Any], list[Any]]:
    """The items' and the applications' sums by month (see the SQL above),
    from the daily summary unless the book is narrowed to some customers."""
    params: dict[str, Any] = {"tenant": tenant.pk, "end": today}
    item_filters, summary_filters, from_summary = _filters(book, params)
    if from_summary:
        items_sql = _FLOW_ITEMS_SQL.format(filters=summary_filters)
        applied_sql = _FLOW_APPLIED_SQL.format(filters=summary_filters)
    else:
        items_sql = _ITEMS_SQL.format(filters=item_filters)
        applied_sql = _APPLIED_SQL.format(filters=item_filters)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(items_sql, params)
        item_rows = cursor.fetchall()
        cursor.execute(applied_sql, params)
        applied_rows = cursor.fetchall()
    return item_rows, applied_rows


def kpi_months(
    *, tenant: Tenant, months: int = 12, book: BookFilter | None = None, today: date | None = None
) -> list[MonthFigures]:
    """The last `months` months (oldest first, the running month last)."""
    book = book or BookFilter()
    today = today or tenant_today(tenant)
    this_month = _month_start(today)
    first = _add_months(this_month, -(months - 1))
    history_start = _add_months(first, -COUNTBACK_MONTHS)
    item_rows, applied_rows = _month_rows(tenant=tenant, book=book, today=today)

    sales_by_month: dict[date, Decimal] = defaultdict(Decimal)
    for doc_month, _due, _side, kind, _after, amount in item_rows:
        if kind in ("invoice", "debit_memo"):
            sales_by_month[doc_month] += amount

    result = []
    month = first
    while month <= this_month:
        end = min(_month_end(month), today)
        figures = MonthFigures(month=month, end=end, days=(end - month).days + 1)
        _fill_balances(figures, item_rows, applied_rows)
        figures.opening_receivables = _receivables_at(
            _add_months(month, -1), item_rows, applied_rows
        )
        figures.sales = sales_by_month.get(month, ZERO)
        period_start = _add_months(month, -(DSO_PERIOD_MONTHS - 1))
        figures.period_sales = sum(
            (
                sales_by_month.get(_add_months(period_start, i), ZERO)
                for i in range(DSO_PERIOD_MONTHS)
            ),
            ZERO,
        )
        figures.period_days = (end - period_start).days + 1
        countback = []
        back = month
        while back >= history_start:
            back_end = min(_month_end(back), today)
            countback.append((sales_by_month.get(back, ZERO), (back_end - back).days + 1))
            back = _add_months(back, -1)
        figures.countback_periods = countback
        for applied_month, _doc, _due, _side, kind, _after, amount, late_sum in applied_rows:
            if applied_month != month:
                continue
            if kind == "cash":
                figures.collected += amount
                figures.days_late_weighted_sum += late_sum
            elif kind == "write_off":
                figures.written_off += amount
        figures.kpis = _kpis(figures)
        result.append(figures)
        month = _add_months(month, 1)
    _add_auto_match(tenant=tenant, months=result, book=book)
    return result


def _receivables_at(month: date, item_rows: list[Any], applied_rows: list[Any]) -> Decimal:
    """Receivables at the end of `month` (its first day): what was billed up
    to then less what was applied to it up to then."""
    billed = sum(
        (
            amount
            for doc_month, _due, _side, _kind, _after, amount in item_rows
            if doc_month <= month
        ),
        ZERO,
    )
    applied = sum(
        (
            amount
            for applied_month, doc_month, _due, _side, _kind, _after, amount, _late in applied_rows
            if applied_month <= month and doc_month <= month
        ),
        ZERO,
    )
    return billed - applied


def _fill_balances(figures: MonthFigures, item_rows: list[Any], applied_rows: list[Any]) -> None:
    """Receivables, current part and deductions at the end of the month. A
    past month's current part is what falls due after its last day; the
    running month's, what falls due after today."""
    month = figures.month
    running = figures.end < _month_end(month)
    for doc_month, due_month, side, _kind, due_after_today, amount in item_rows:
        if doc_month > month:
            continue
        figures.receivables += amount
        if due_after_today if running else due_month > month:
            figures.current += amount
        if side == "deduction":
            figures.deductions += amount
    for (
        applied_month,
        doc_month,
        due_month,
        side,
        _kind,
        due_after_today,
        amount,
        _,
    ) in applied_rows:
        if applied_month > month or doc_month > month:
            continue
        figures.receivables -= amount
        if due_after_today if running else due_month > month:
            figures.current -= amount
        if side == "deduction":
            figures.deductions -= amount


def _kpis(m: MonthFigures) -> dict[str, Decimal | None]:
    dso = formulas.simple_dso(receivables=m.receivables, sales=m.period_sales, days=m.period_days)
    bpdso = formulas.best_possible_dso(
        current_receivables=m.current, sales=m.period_sales, days=m.period_days
    )
    weighted_late = (
        (m.days_late_weighted_sum / m.collected).quantize(formulas.ONE_DECIMAL)
        if m.collected > 0
        else None
    )
    return {
        "dso_countback": formulas.countback_dso(
            receivables=m.receivables, periods=m.countback_periods
        ),
        "dso_simple": dso,
        "bpdso": bpdso,
        "add": formulas.average_days_delinquent(dso=dso, best_possible=bpdso),
        "days_late_weighted": weighted_late,
        "cei": formulas.collection_effectiveness_index(
            opening_receivables=m.opening_receivables,
            sales=m.sales,
            closing_receivables=m.receivables,
            closing_current=m.current,
        ),
        "percent_current": formulas.percent_current(current=m.current, total=m.receivables),
        "ddo": formulas.days_deductions_outstanding(
            open_deductions=m.deductions, sales=m.period_sales, days=m.period_days
        ),
        "bad_debt_ratio": formulas.bad_debt_ratio(written_off=m.written_off, sales=m.sales),
    }


def _add_auto_match(*, tenant: Tenant, months: list[MonthFigures], book: BookFilter) -> None:
    """Cash application's own figure, per month (book filters do not apply:
    a payment is matched before anyone knows whose it is): the payments
    received (not reversed) and those the matcher applied by itself,
    counted as collections_app.selectors.cash_metrics counts them, in one
    query grouped by month instead of that selector once per month."""
    if not months:
        return
    auto = MatchProposal.objects.for_tenant(tenant).filter(
        payment_id=OuterRef("pk"), auto_applied=True
    )
    rows = (
        Payment.objects.for_tenant(tenant)
        .exclude(status=PaymentStatus.REVERSED)
        .filter(value_date__gte=months[0].month, value_date__lte=months[-1].end)
        .annotate(month=TruncMonth("value_date"))
        .values("month")
        .annotate(total=Count("pk"), automatic=Count("pk", filter=Exists(auto)))
        .order_by()
    )
    by_month = {row["month"]: (row["total"], row["automatic"]) for row in rows}
    for figures in months:
        total, automatic = by_month.get(figures.month, (0, 0))
        figures.kpis["auto_match_rate"] = formulas.auto_match_rate(automatic=automatic, total=total)


# --- point-in-time figures ----------------------------------------------------------


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str
    unit: str  # "days" or "%"
    formula: str
    better: str  # "lower" or "higher"


KPI_DEFINITIONS: list[KpiDefinition] = [
    KpiDefinition(
        "dso_countback",
        "DSO (countback)",
        "days",
        "Receivables at month end, consumed by each month's sales going back; whole months "
        "count their days, the last one pro rata.",
        "lower",
    ),
    KpiDefinition(
        "dso_simple",
        "DSO (simple)",
        "days",
        "Receivables / sales of the last 3 months x their days.",
        "lower",
    ),
    KpiDefinition(
        "bpdso",
        "Best possible DSO",
        "days",
        "Receivables not yet due / sales of the last 3 months x their days.",
        "lower",
    ),
    KpiDefinition(
        "add", "Average days delinquent", "days", "DSO (simple) - best possible DSO.", "lower"
    ),
    KpiDefinition(
        "days_late_weighted",
        "Days late, amount-weighted",
        "days",
        "Sum of (cash applied x days after the due date) / cash applied in the month.",
        "lower",
    ),
    KpiDefinition(
        "cei",
        "Collection effectiveness (CEI)",
        "%",
        "(Opening receivables + sales - closing receivables) / (opening receivables + sales "
        "- closing current receivables) x 100.",
        "higher",
    ),
    KpiDefinition(
        "percent_current",
        "Current",
        "%",
        "Receivables not yet due / all receivables x 100.",
        "higher",
    ),
    KpiDefinition(
        "ddo",
        "Days deductions outstanding",
        "days",
        "Open deductions / sales of the last 3 months x their days.",
        "lower",
    ),
    KpiDefinition(
        "bad_debt_ratio",
        "Bad-debt write-offs",
        "%",
        "Written off in the month / sales of the month x 100.",
        "lower",
    ),
    KpiDefinition(
        "auto_match_rate",
        "Cash auto-match rate",
        "%",
        "Payments applied automatically / payments received in the month x 100.",
        "higher",
    ),
]


def deduction_cycle_days(*, tenant: Tenant, days: int = 90) -> Decimal | None:
    """Average days from a deduction's opening to its closing, over the
    deductions closed in the last `days` days (from the ledger items)."""
    since = tenant_today(tenant) - timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT closed_on - document_date FROM ledger_openitem"
            " WHERE tenant_id = %s AND kind = 'deduction' AND status = 'closed'"
            " AND closed_on >= %s",
            [tenant.pk, since],
        )
        durations = [int(row[0]) for row in cursor.fetchall()]
    return formulas.average_days(durations)


def credit_utilisation_today(*, tenant: Tenant) -> tuple[Decimal, Decimal, Decimal | None]:
    """(exposure, limits, %) over the customers with a credit limit in the
    base currency: open receivables (ledger summary) against their limits."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COALESCE(SUM(b.open_base_amount), 0), COALESCE(SUM(DISTINCT_LIMIT.limit), 0)
            FROM (
                SELECT customer_id, credit_limit AS limit FROM credit_creditprofile
                WHERE tenant_id = %(tenant)s AND credit_limit > 0 AND currency = %(base)s
            ) AS DISTINCT_LIMIT
            LEFT JOIN (
                SELECT customer_id, SUM(open_base_amount) AS open_base_amount
                FROM ledger_customerbalance
                WHERE tenant_id = %(tenant)s AND side <> 'credit'
                GROUP BY customer_id
            ) AS b ON b.customer_id = DISTINCT_LIMIT.customer_id
            """,
            {"tenant": tenant.pk, "base": str(tenant.base_currency)},
        )
        exposure, limits = cursor.fetchone() or (ZERO, ZERO)
    return exposure, limits, formulas.credit_utilisation(exposure=exposure, credit_limit=limits)


@dataclass(frozen=True)
class CollectorFigures:
    collector_id: int | None
    name: str
    assigned: Decimal  # overdue at the start of the month
    collected: Decimal  # cash applied in the month to that collector's customers
    effectiveness: Decimal | None


def collector_performance(*, tenant: Tenant, month: date | None = None) -> list[CollectorFigures]:
    """Per collector: overdue receivables of their customers at the start of
    the month against the cash applied to those customers during it. A
    collector shows when a customer of theirs had something overdue or paid
    something."""
    today = tenant_today(tenant)
    month = month or _month_start(today)
    start = month - timedelta(days=1)
    end = min(_month_end(month), today)
    sql = """
    WITH overdue AS (
        -- receivables due by the day before the month, open that day: the
        -- aging summary today less what changed since (ledger 0004)
        SELECT customer_id, SUM(open_base) AS amount
        FROM (
            SELECT customer_id, open_base_amount AS open_base FROM ledger_agingbalance
            WHERE tenant_id = %(tenant)s AND side <> 'credit' AND aging_date <= %(start)s
            UNION ALL
            SELECT customer_id, -open_base_amount FROM ledger_agingchange
            WHERE tenant_id = %(tenant)s AND side <> 'credit' AND aging_date <= %(start)s
              AND effective_date > %(start)s
        ) AS open_then
        GROUP BY customer_id
    ),
    collected AS (
        SELECT i.customer_id, SUM(a.debit_base_amount) AS amount
        FROM ledger_application AS a JOIN ledger_openitem AS i ON i.id = a.debit_item_id
        WHERE a.tenant_id = %(tenant)s AND a.kind = 'cash'
          AND a.effective_date > %(start)s AND a.effective_date <= %(end)s
        GROUP BY i.customer_id
    )
    SELECT c.collector_id, COALESCE(NULLIF(MIN(u.full_name), ''), MIN(u.email), 'No collector'),
           COALESCE(SUM(o.amount), 0), COALESCE(SUM(k.amount), 0)
    FROM customers_customer AS c
    LEFT JOIN overdue AS o ON o.customer_id = c.id
    LEFT JOIN collected AS k ON k.customer_id = c.id
    LEFT JOIN accounts_user AS u ON u.id = c.collector_id
    WHERE c.tenant_id = %(tenant)s AND (o.amount IS NOT NULL OR k.amount IS NOT NULL)
    GROUP BY c.collector_id
    ORDER BY 3 DESC
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, {"tenant": tenant.pk, "start": start, "end": end})
        rows = cursor.fetchall()
    return [
        CollectorFigures(
            collector_id=row[0],
            name=str(row[1]),
            assigned=row[2],
            collected=row[3],
            effectiveness=formulas.collector_effectiveness(collected=row[3], assigned=row[2]),
        )
        for row in rows
    ]
