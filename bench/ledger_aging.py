"""Aging at scale (issue 3 budgets):
- per-customer aging for a customer with 5,000 open items: < 50 ms;
- whole-book aging by customer over 1,000,000 open items / 50,000 customers: < 2 s.

Data: one tenant, 50,000 customers, 1,000,000 open items (invoices with due
dates spread over the last 200 days and next 60; 3% open payments) loaded
with INSERT ... SELECT generate_series for speed. One customer holds 5,000 of
them. Every seventh invoice is 60 % paid: a closed payment item and a real
application (with its posting row) dated 20 days after the invoice, so the
as-of aging replays ~140,000 applications. Posting lines are not generated
(aging never reads them).

Timings are taken twice: as the owner the script connects as, and as the
application role (`otc_app`, row-level security on) that the product runs as.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench.common import setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    from otc.customers.models import Customer
    from otc.ledger.models import OpenItem
    from otc.tenancy.context import tenant_context
    from otc.tenancy.models import Tenant

    slug = f"bench-aging-v2-{args.items}"
    tenant, _ = Tenant.objects.get_or_create(
        slug=slug, defaults={"name": "Bench Aging", "base_currency": "EUR"}
    )
    with tenant_context(tenant):
        if not Customer.objects.exists():
            print(f"loading {args.customers:,} customers ...")
            Customer.objects.bulk_create(
                [
                    Customer(
                        tenant=tenant,
                        number=f"B{i:06d}",
                        legal_name=f"Bench Customer {i}",
                        country="DE",
                        currency="EUR",
                    )
                    for i in range(args.customers)
                ],
                batch_size=5000,
            )
        if not OpenItem.objects.exists():
            print(f"loading {args.items:,} open items ...")
            ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
            big_customer = ids[0]
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant.pk)])
                cursor.execute(
                    """
                    INSERT INTO ledger_openitem (tenant_id, customer_id, kind, number, currency,
                        amount, fx_rate, base_amount, open_amount, open_base_amount,
                        document_date, due_date, status, source_type, source_id, recorded_at)
                    SELECT %(tenant)s,
                        CASE WHEN g <= 5000 THEN %(big)s
                             ELSE %(first)s + (g %% %(n)s) END,
                        CASE WHEN g %% 33 = 0 THEN 'payment' ELSE 'invoice' END,
                        'B-' || g, 'EUR',
                        amt * sign, 1, amt * sign,
                        round(amt * sign * CASE WHEN g %% 7 = 0 THEN 0.4 ELSE 1 END, 2),
                        round(amt * sign * CASE WHEN g %% 7 = 0 THEN 0.4 ELSE 1 END, 2),
                        current_date - (g %% 200) - 30,
                        CASE WHEN g %% 33 = 0 THEN NULL ELSE current_date - (g %% 200) + 30 END,
                        'open', 'bench', g::text, now()
                    FROM (
                        SELECT g,
                               round((50 + (g::bigint * 7919 %% 100000) / 10.0)::numeric, 2) AS amt,
                               CASE WHEN g %% 33 = 0 THEN -1 ELSE 1 END AS sign
                        FROM generate_series(1, %(items)s) AS g
                    ) AS rows
                    """,
                    {
                        "tenant": tenant.pk,
                        "big": big_customer,
                        "first": ids[1],
                        "n": len(ids) - 1,
                        "items": args.items,
                    },
                )
            print("loading payments and applications for the partly paid invoices ...")
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant.pk)])
                cursor.execute(_PAYMENTS_SQL, {"tenant": tenant.pk})
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ledger_openitem")
            cursor.execute("ANALYZE ledger_application")
        big = Customer.objects.order_by("pk").first()
        assert big is not None
        count = big.ledger_items.filter(status="open").count()
        customers = Customer.objects.count()
        print(f"tenant {slug}: {customers:,} customers; the big one has {count:,} open items")

        for role in ("owner (no row-level security)", "otc_app (row-level security)"):
            print(f"-- as {role}")
            as_app = role.startswith("otc_app")
            _measure(tenant, big, as_app=as_app)


def _measure(tenant: Any, big: Any, *, as_app: bool) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from otc.ledger.selectors import aging_by_customer, open_items_as_of

    def run(fn: Callable[[], Any]) -> Callable[[], Any]:
        def wrapped() -> Any:
            with transaction.atomic():
                if as_app:
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL ROLE otc_app")
                return fn()

        return wrapped

    timed(
        "per-customer aging, 5,000 open items",
        30,
        run(lambda: aging_by_customer(tenant=tenant, customer=big)),
    )
    rows = []
    timed(
        "whole-book aging by customer, today",
        5,
        run(lambda: rows.append(len(aging_by_customer(tenant=tenant).rows))),
    )
    print(f"  -> {rows[-1]:,} customer rows")
    past = timezone.localdate() - timedelta(days=30)
    timed(
        "per-customer aging as of 30 days ago (replays applications)",
        10,
        run(lambda: aging_by_customer(tenant=tenant, customer=big, as_of=past)),
    )
    timed(
        "whole-book aging as of 30 days ago",
        3,
        run(lambda: aging_by_customer(tenant=tenant, as_of=past)),
    )
    timed(
        "per-customer open items as of 30 days ago",
        10,
        run(lambda: list(open_items_as_of(tenant=tenant, customer=big, as_of=past)[:100])),
    )


_PAYMENTS_SQL = """
WITH paid AS (
    SELECT id, customer_id, source_id, amount - open_amount AS paid,
           document_date + 20 AS paid_on
    FROM ledger_openitem
    WHERE tenant_id = %(tenant)s AND kind = 'invoice' AND open_amount <> amount
),
payments AS (
    -- Explicit ids (far above the generated ones) tie each payment, posting
    -- and application to its invoice without a join.
    INSERT INTO ledger_openitem (id, tenant_id, customer_id, kind, number, currency,
        amount, fx_rate, base_amount, open_amount, open_base_amount,
        document_date, due_date, status, closed_on, source_type, source_id, recorded_at)
    SELECT 200000000 + id, %(tenant)s, customer_id, 'payment', 'P-' || source_id, 'EUR',
        -paid, 1, -paid, 0, 0, paid_on, NULL, 'closed', paid_on, 'bench-payment', source_id,
        now()
    FROM paid
    RETURNING id
),
postings AS (
    INSERT INTO ledger_posting (id, tenant_id, effective_date, memo, recorded_at)
    SELECT 100000000 + paid.id, %(tenant)s, paid.paid_on, 'bench', now() FROM paid
    RETURNING id
)
INSERT INTO ledger_application (tenant_id, kind, debit_item_id, credit_item_id, amount,
    credit_amount, debit_base_amount, credit_base_amount, fx_gain_base, effective_date,
    posting_id, recorded_at)
SELECT %(tenant)s, 'cash', paid.id, 200000000 + paid.id,
    paid.paid, paid.paid, paid.paid, paid.paid, 0, paid.paid_on, 100000000 + paid.id, now()
FROM paid
"""


if __name__ == "__main__":
    main()
