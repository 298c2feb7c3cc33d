"""Reporting at scale (issue 8 budgets), at 1,000,000 open items / 50,000
customers / 24 months of history:
- whole-book aging by customer today: < 1 s; as of 6 months ago: < 3 s;
- executive dashboard (all panels): < 1 s warm (cold shown too);
- KPIs over 12 months, the cash forecast and its backtest (no budget; shown).

Data (one tenant, loaded once with INSERT ... SELECT generate_series, the
ledger's triggers keeping the aging summaries as they would in production):
1.5 M invoices spread over the last 730 days, net 30; about a third of those
older than 60 days are paid in full (a closed payment item, its posting and a
real application, paid on the due date plus a lateness of -5..24 days that
depends on the customer), every seventh open one is 60 % paid; 10 % are in
USD at 0.90; every 97th item is an open deduction and every 53rd an
unapplied payment. Every customer has a credit profile (classes A-E, limit
50,000 EUR). Posting lines are not generated (reports never read them).

Timings run as the application role (`otc_app`, row-level security on).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench.common import setup_django, timed

_ITEMS_SQL = """
INSERT INTO ledger_openitem (tenant_id, customer_id, kind, number, currency, amount, fx_rate,
    base_amount, open_amount, open_base_amount, document_date, due_date, status, closed_on,
    source_type, source_id, recorded_at)
SELECT %(tenant)s, customer_id, kind, 'R-' || g, currency, amount, rate,
       round(amount * rate, 2),
       CASE WHEN closed THEN 0 WHEN partly THEN amount - paid ELSE amount END,
       CASE WHEN closed THEN 0 WHEN partly THEN round(amount * rate, 2) - round(paid * rate, 2)
            ELSE round(amount * rate, 2) END,
       doc, CASE WHEN kind = 'invoice' THEN doc + 30 END,
       CASE WHEN closed THEN 'closed' ELSE 'open' END,
       CASE WHEN closed THEN doc + 30 + late END,
       'bench-reporting', g::text, now()
FROM (
    SELECT g, customer_id, kind, currency, rate, doc, late, amount,
           kind = 'invoice' AND age > 60 AND g %% 3 = 0 AS closed,
           kind = 'invoice' AND NOT (age > 60 AND g %% 3 = 0) AND g %% 7 = 0 AND age > 20
               AS partly,
           round(amount * 0.6, 2) AS paid
    FROM (
        SELECT g, %(first)s + (g %% %(n)s) AS customer_id,
               CASE WHEN g %% 97 = 0 THEN 'deduction' WHEN g %% 53 = 0 THEN 'payment'
                    ELSE 'invoice' END AS kind,
               CASE WHEN g %% 10 = 0 THEN 'USD' ELSE 'EUR' END AS currency,
               CASE WHEN g %% 10 = 0 THEN 0.9 ELSE 1 END AS rate,
               current_date - (g %% 730) AS doc, g %% 730 AS age,
               ((%(first)s + (g %% %(n)s)) %% 30) - 5 AS late,
               round((50 + (g::bigint * 7919 %% 100000) / 10.0)::numeric, 2)
                   * CASE WHEN g %% 97 <> 0 AND g %% 53 = 0 THEN -1 ELSE 1 END AS amount
        FROM generate_series(1, %(items)s) AS g
    ) AS raw
) AS rows
"""

# Every closed or partly paid invoice gets its payment (closed), posting and
# application; explicit ids far above the sequences tie them together.
_PAYMENTS_SQL = """
WITH paid AS (
    SELECT id, customer_id, currency, fx_rate, source_id,
           amount - open_amount AS paid, base_amount - open_base_amount AS paid_base,
           COALESCE(closed_on, document_date + 20) AS paid_on
    FROM ledger_openitem
    WHERE tenant_id = %(tenant)s AND kind = 'invoice' AND source_type = 'bench-reporting'
      AND open_amount <> amount
),
payments AS (
    INSERT INTO ledger_openitem (id, tenant_id, customer_id, kind, number, currency, amount,
        fx_rate, base_amount, open_amount, open_base_amount, document_date, due_date, status,
        closed_on, source_type, source_id, recorded_at)
    SELECT 400000000 + id, %(tenant)s, customer_id, 'payment', 'RP-' || source_id, currency,
        -paid, fx_rate, -paid_base, 0, 0, paid_on, NULL, 'closed', paid_on,
        'bench-reporting-payment', source_id, now()
    FROM paid
    RETURNING id
),
postings AS (
    INSERT INTO ledger_posting (id, tenant_id, effective_date, memo, recorded_at)
    SELECT 300000000 + paid.id, %(tenant)s, paid.paid_on, 'bench', now() FROM paid
    RETURNING id
)
INSERT INTO ledger_application (tenant_id, kind, debit_item_id, credit_item_id, amount,
    credit_amount, debit_base_amount, credit_base_amount, fx_gain_base, effective_date,
    posting_id, recorded_at)
SELECT %(tenant)s, 'cash', paid.id, 400000000 + paid.id, paid.paid, paid.paid, paid.paid_base,
    paid.paid_base, 0, paid.paid_on, 300000000 + paid.id, now()
FROM paid
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_500_000, help="generated documents")
    parser.add_argument("--customers", type=int, default=50_000)
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    from credit.models import CreditProfile
    from otc.customers.models import Customer
    from otc.ledger.models import OpenItem
    from otc.tenancy.context import tenant_context
    from otc.tenancy.models import Tenant

    slug = f"bench-reporting-{args.items}"
    tenant, _ = Tenant.objects.get_or_create(
        slug=slug, defaults={"name": "Bench Reporting", "base_currency": "EUR"}
    )
    with tenant_context(tenant):
        if not Customer.objects.exists():
            print(f"loading {args.customers:,} customers and credit profiles ...", flush=True)
            customers = Customer.objects.bulk_create(
                [
                    Customer(
                        tenant=tenant,
                        number=f"R{i:06d}",
                        legal_name=f"Reporting Customer {i}",
                        country=("DE", "FR", "GB", "US", "AT")[i % 5],
                        currency="EUR",
                    )
                    for i in range(args.customers)
                ],
                batch_size=5000,
            )
            CreditProfile.objects.bulk_create(
                [
                    CreditProfile(
                        tenant=tenant,
                        customer=customer,
                        currency="EUR",
                        credit_limit=50_000,
                        risk_class="ABCDE"[index % 5],
                    )
                    for index, customer in enumerate(customers)
                ],
                batch_size=5000,
            )
        if not OpenItem.objects.exists():
            ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
            print(f"loading {args.items:,} documents over 24 months ...", flush=True)
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant.pk)])
                cursor.execute(
                    _ITEMS_SQL,
                    {"tenant": tenant.pk, "first": ids[0], "n": len(ids), "items": args.items},
                )
                print("loading payments, postings and applications ...", flush=True)
                # Half a million applications in one statement: the ledger's
                # triggers hash their transition tables only with the memory
                # to do so (with the default 4 MB it ran 25 minutes and more).
                cursor.execute("SET work_mem = '256MB'")
                cursor.execute(_PAYMENTS_SQL, {"tenant": tenant.pk})
        with connection.cursor() as cursor:
            for table in (
                "ledger_openitem",
                "ledger_application",
                "ledger_agingbalance",
                "ledger_agingchange",
                "ledger_receivableflow",
                "ledger_customercashday",
                "ledger_customerbalance",
                "customers_customer",
                "credit_creditprofile",
            ):
                cursor.execute(f"ANALYZE {table}")
        open_count = OpenItem.objects.filter(status="open").count()
        total = OpenItem.objects.count()
        print(
            f"tenant {slug}: {Customer.objects.count():,} customers, {open_count:,} open "
            f"items of {total:,} ledger items",
            flush=True,
        )
        print(f"load average: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
        _measure(tenant)


def _measure(tenant: Any) -> None:
    from django.core.cache import cache
    from django.db import connection, transaction

    from otc.tenancy.dates import tenant_today
    from otc.tenancy.roles import Role
    from reporting.dashboard import _cache_key, executive_panels
    from reporting.selectors.aging import AgingQuery, GroupBy, aging_report
    from reporting.selectors.forecast import cash_forecast, forecast_backtest
    from reporting.selectors.kpis import kpi_months

    def as_app(fn: Callable[[], Any]) -> Callable[[], Any]:
        def wrapped() -> Any:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL ROLE otc_app")
                return fn()

        return wrapped

    today = tenant_today(tenant)
    six_months_ago = today - timedelta(days=182)
    report: list[Any] = []
    timed(
        "aging by customer, whole book, today (page of 50 + totals)",
        5,
        as_app(lambda: report.append(aging_report(tenant=tenant, query=AgingQuery(as_of=today)))),
    )
    print(f"  -> {report[-1].group_count:,} customers, total {report[-1].totals[0].total:,.2f}")
    timed(
        "aging by customer, whole book, as of 6 months ago",
        3,
        as_app(
            lambda: report.append(
                aging_report(tenant=tenant, query=AgingQuery(as_of=six_months_ago))
            )
        ),
    )
    print(f"  -> {report[-1].group_count:,} customers, total {report[-1].totals[0].total:,.2f}")
    timed(
        "aging by risk class, today",
        3,
        as_app(
            lambda: aging_report(
                tenant=tenant, query=AgingQuery(as_of=today, group_by=GroupBy.RISK_CLASS)
            )
        ),
    )

    def cold() -> Any:
        cache.delete(_cache_key(tenant))
        return executive_panels(tenant, Role.EXECUTIVE)

    timed("executive dashboard panels, cold (cache emptied)", 2, as_app(cold))
    timed(
        "executive dashboard panels, warm",
        20,
        as_app(lambda: executive_panels(tenant, Role.EXECUTIVE)),
    )
    timed("KPIs, 12 months", 3, as_app(lambda: kpi_months(tenant=tenant, months=12)))
    timed("cash forecast, 13 weeks", 3, as_app(lambda: cash_forecast(tenant=tenant)))
    timed("forecast backtest, 6 months", 1, as_app(lambda: forecast_backtest(tenant=tenant)))
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)


if __name__ == "__main__":
    main()
