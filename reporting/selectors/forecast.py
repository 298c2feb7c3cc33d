"""The 13-week cash forecast: when each open receivable is expected to be
paid, summed by week and currency.

Expected payment date = due date + the customer's own recent habit: the
amount-weighted days late of the cash applied to its items over the last
`HISTORY_DAYS` (early payment counts negative). Customers without that
history take the average of their risk class, then of the whole book, then
zero (paid on the due date). Items already past their expected date fall in
this week if they are at most `STALE_DAYS` past it; older ones are shown
apart as "overdue beyond habit" rather than promised to the treasurer.
One SQL statement over the aging summary and the customers' daily cash
(ledger_customercashday), both kept by the ledger's triggers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

WEEKS = 13
HISTORY_DAYS = 365
STALE_DAYS = 30
ZERO = Decimal(0)

_FORECAST_SQL = """
WITH lateness AS (
    -- cash received per customer and day, with its amount x days late
    -- (ledger_customercashday, kept by the ledger's triggers)
    SELECT customer_id, SUM(late_base_amount) / SUM(base_amount) AS days_late,
           SUM(base_amount) AS weight
    FROM ledger_customercashday
    WHERE tenant_id = %(tenant)s
      AND effective_date > %(history_from)s AND effective_date <= %(today)s
    GROUP BY customer_id
    HAVING SUM(base_amount) > 0
),
class_lateness AS (
    SELECT cp.risk_class, SUM(l.days_late * l.weight) / SUM(l.weight) AS days_late
    FROM lateness AS l
    JOIN credit_creditprofile AS cp ON cp.customer_id = l.customer_id
    GROUP BY cp.risk_class
),
book_lateness AS (
    SELECT SUM(days_late * weight) / NULLIF(SUM(weight), 0) AS days_late FROM lateness
),
shift AS (
    -- one row per customer: whose habit it takes and how many days late
    SELECT c.id AS customer_id,
           CASE WHEN l.days_late IS NOT NULL THEN 'own'
                WHEN cl.days_late IS NOT NULL THEN 'class'
                WHEN bl.days_late IS NOT NULL THEN 'book' ELSE 'none' END AS basis,
           ROUND(COALESCE(l.days_late, cl.days_late, bl.days_late, 0))::int AS days
    FROM customers_customer AS c
    LEFT JOIN lateness AS l ON l.customer_id = c.id
    LEFT JOIN credit_creditprofile AS cp ON cp.customer_id = c.id
    LEFT JOIN class_lateness AS cl ON cl.risk_class = cp.risk_class
    CROSS JOIN book_lateness AS bl
    WHERE c.tenant_id = %(tenant)s
),
expected AS (
    SELECT b.currency, b.open_amount, b.open_base_amount, s.basis,
           b.aging_date + s.days AS expected_on
    FROM ledger_agingbalance AS b
    JOIN shift AS s ON s.customer_id = b.customer_id
    WHERE b.tenant_id = %(tenant)s AND b.side = 'debit'
)
SELECT currency,
       CASE WHEN expected_on < %(today)s - %(stale)s THEN -1
            WHEN expected_on < %(today)s THEN 0
            ELSE LEAST((expected_on - %(today)s) / 7, %(weeks)s) END AS week,
       basis, SUM(open_amount), SUM(open_base_amount)
FROM expected
GROUP BY 1, 2, 3
"""


@dataclass
class ForecastWeek:
    start: date
    end: date
    by_currency: dict[str, Decimal] = field(default_factory=dict)
    base: Decimal = ZERO


@dataclass
class CashForecast:
    today: date
    base_currency: str
    weeks: list[ForecastWeek]
    later_base: Decimal = ZERO  # expected after the 13 weeks
    stale_base: Decimal = ZERO  # past the expected date by more than STALE_DAYS
    stale_by_currency: dict[str, Decimal] = field(default_factory=dict)
    basis_base: dict[str, Decimal] = field(default_factory=dict)  # own/class/book/none

    @property
    def total_base(self) -> Decimal:
        return sum((week.base for week in self.weeks), ZERO)

    @property
    def currencies(self) -> list[str]:
        return sorted({c for week in self.weeks for c in week.by_currency})


def cash_forecast(*, tenant: Tenant) -> CashForecast:
    today = tenant_today(tenant)
    params: dict[str, Any] = {
        "tenant": tenant.pk,
        "today": today,
        "history_from": today - timedelta(days=HISTORY_DAYS),
        "stale": STALE_DAYS,
        "weeks": WEEKS,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(_FORECAST_SQL, params)
        rows = cursor.fetchall()
    forecast = CashForecast(
        today=today,
        base_currency=str(tenant.base_currency),
        weeks=[
            ForecastWeek(
                start=today + timedelta(days=7 * week),
                end=today + timedelta(days=7 * week + 6),
            )
            for week in range(WEEKS)
        ],
    )
    for currency, week, basis, amount, base in rows:
        forecast.basis_base[basis] = forecast.basis_base.get(basis, ZERO) + base
        if week == -1:
            forecast.stale_base += base
            forecast.stale_by_currency[currency] = (
                forecast.stale_by_currency.get(currency, ZERO) + amount
            )
        elif week >= WEEKS:
            forecast.later_base += base
        else:
            target = forecast.weeks[week]
            target.by_currency[currency] = target.by_currency.get(currency, ZERO) + amount
            target.base += base
    return forecast


# --- backtest: how good were the forecasts we would have made? -----------------------

BACKTEST_DAYS = 28

_BACKTEST_SQL = """
WITH lateness AS (
    SELECT customer_id, SUM(late_base_amount) / SUM(base_amount) AS days_late,
           SUM(base_amount) AS weight
    FROM ledger_customercashday
    WHERE tenant_id = %(tenant)s
      AND effective_date > %(history_from)s AND effective_date < %(start)s
    GROUP BY customer_id
    HAVING SUM(base_amount) > 0
),
class_lateness AS (
    SELECT cp.risk_class, SUM(l.days_late * l.weight) / SUM(l.weight) AS days_late
    FROM lateness AS l JOIN credit_creditprofile AS cp ON cp.customer_id = l.customer_id
    GROUP BY cp.risk_class
),
book_lateness AS (
    SELECT SUM(days_late * weight) / NULLIF(SUM(weight), 0) AS days_late FROM lateness
),
shift AS (
    SELECT c.id AS customer_id,
           ROUND(COALESCE(l.days_late, cl.days_late, bl.days_late, 0))::int AS days
    FROM customers_customer AS c
    LEFT JOIN lateness AS l ON l.customer_id = c.id
    LEFT JOIN credit_creditprofile AS cp ON cp.customer_id = c.id
    LEFT JOIN class_lateness AS cl ON cl.risk_class = cp.risk_class
    CROSS JOIN book_lateness AS bl
    WHERE c.tenant_id = %(tenant)s
),
due_window AS (
    -- the due dates whose expected payment can fall in the period
    SELECT %(start)s::date - %(stale)s - MAX(days) AS low, %(end)s::date - MIN(days) AS high
    FROM shift
),
open_then AS (
    -- open receivables the day before `start`, per customer and due date:
    -- today's summary less what changed since (ledger 0004), not the items
    SELECT customer_id, aging_date, open_base_amount AS open_base
    FROM ledger_agingbalance
    WHERE tenant_id = %(tenant)s AND side = 'debit'
      AND aging_date >= (SELECT low FROM due_window) AND aging_date < (SELECT high FROM due_window)
    UNION ALL
    SELECT customer_id, aging_date, -open_base_amount
    FROM ledger_agingchange
    WHERE tenant_id = %(tenant)s AND side = 'debit' AND effective_date >= %(start)s
      AND aging_date >= (SELECT low FROM due_window) AND aging_date < (SELECT high FROM due_window)
),
expected AS (
    SELECT o.open_base, o.aging_date + s.days AS expected_on
    FROM open_then AS o JOIN shift AS s ON s.customer_id = o.customer_id
),
actual AS (
    -- cash applied in the period to receivables that were open at its start
    SELECT a.debit_base_amount AS base
    FROM ledger_application AS a JOIN ledger_openitem AS i ON i.id = a.debit_item_id
    WHERE a.tenant_id = %(tenant)s AND a.kind = 'cash'
      AND a.effective_date >= %(start)s AND a.effective_date < %(end)s
      AND i.amount > 0 AND i.kind <> 'deduction' AND i.document_date < %(start)s
      AND i.base_amount <> (
          SELECT COALESCE(SUM(b.debit_base_amount), 0) FROM ledger_application AS b
          WHERE b.tenant_id = %(tenant)s AND b.debit_item_id = i.id
            AND b.effective_date < %(start)s
      )
)
SELECT (SELECT COALESCE(SUM(open_base), 0) FROM expected
        WHERE expected_on >= %(start)s::date - %(stale)s AND expected_on < %(end)s),
       (SELECT COALESCE(SUM(base), 0) FROM actual)
"""


@dataclass(frozen=True)
class BacktestPeriod:
    start: date
    end: date  # exclusive
    predicted: Decimal  # base currency expected in the period, as forecast at its start
    actual: Decimal  # cash applied in the period to the items open at its start

    @property
    def error(self) -> Decimal:
        return self.predicted - self.actual

    @property
    def error_percent(self) -> Decimal | None:
        if not self.actual:
            return None
        return (self.error / self.actual * 100).quantize(Decimal("0.1"))


def forecast_backtest(*, tenant: Tenant, periods: int = 6) -> list[BacktestPeriod]:
    """Replays the forecast at the start of each of the last `periods` months
    with only what was known then (items open at that date, payment habits
    before it) and compares the first four weeks' forecast with the cash
    actually applied to those items in those four weeks."""
    today = tenant_today(tenant)
    this_month = today.replace(day=1)
    results = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        for back in range(periods, 0, -1):
            index = this_month.year * 12 + this_month.month - 1 - back
            start = date(index // 12, index % 12 + 1, 1)
            end = start + timedelta(days=BACKTEST_DAYS)
            if end > today:
                continue
            cursor.execute(
                _BACKTEST_SQL,
                {
                    "tenant": tenant.pk,
                    "start": start,
                    "end": end,
                    "history_from": start - timedelta(days=HISTORY_DAYS),
                    "stale": STALE_DAYS,
                },
            )
            predicted, actual = cursor.fetchone() or (ZERO, ZERO)
            results.append(BacktestPeriod(start, end, predicted, actual))
    return results
