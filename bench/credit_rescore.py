"""Nightly rescoring at scale (issue 4 budget): 50,000 customers with
1,000,000 ledger items in under 5 minutes, in batches that hold no lock for
long.

Data (INSERT ... SELECT generate_series, postings without lines: scoring
reads items and applications only): 600,000 invoices over the last year,
two thirds of them paid by 400,000 payments through cash applications
(some early, most up to a month late, a few far later), the rest open, a
share of those overdue. Then `credit_rescore_tenant` runs as the nightly
task does (batches of 2,000 customers, each one transaction: profiles,
scores with breakdown, class changes audited). Prints the load time, the
rescoring time, the slowest batch (the longest any profile row stays
locked) and the class distribution.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from bench.common import setup_django

_INVOICES_SQL = """
INSERT INTO ledger_openitem (tenant_id, customer_id, kind, number, currency, amount, fx_rate,
    base_amount, open_amount, open_base_amount, document_date, due_date, status, closed_on,
    source_type, source_id, recorded_at)
SELECT %(tenant)s, %(first)s + (g %% %(n)s), 'invoice', 'RI-' || g, 'EUR', amt, 1, amt,
    CASE WHEN paid THEN 0 ELSE amt END, CASE WHEN paid THEN 0 ELSE amt END,
    doc, doc + 30, CASE WHEN paid THEN 'closed' ELSE 'open' END,
    CASE WHEN paid THEN doc + 30 + late ELSE NULL END, 'bench', g::text, now()
FROM (
    SELECT g, round((80 + (g::bigint * 7919 %% 200000) / 10.0)::numeric, 2) AS amt,
           current_date - 40 - (g %% 330) AS doc,
           g %% 3 <> 0 AS paid,
           CASE WHEN (g / %(n)s) %% 11 = 0 THEN 75 ELSE (g %% 41) - 10 END AS late
    FROM generate_series(1, %(invoices)s) AS g
) AS rows
"""
_PAYMENTS_SQL = """
INSERT INTO ledger_openitem (tenant_id, customer_id, kind, number, currency, amount, fx_rate,
    base_amount, open_amount, open_base_amount, document_date, due_date, status, closed_on,
    source_type, source_id, recorded_at)
SELECT tenant_id, customer_id, 'payment', 'RP-' || source_id, 'EUR', -amount, 1, -amount,
    0, 0, closed_on, NULL, 'closed', closed_on, 'bench-payment', source_id, now()
FROM ledger_openitem
WHERE tenant_id = %(tenant)s AND kind = 'invoice' AND status = 'closed'
"""
# Posting ids drawn up front into a temporary table, so postings and
# applications are two plain inserts (joining a RETURNING clause back is
# quadratic here).
_APPLICATIONS_SQL = """
ANALYZE ledger_openitem;
CREATE TEMPORARY TABLE bench_pairs ON COMMIT DROP AS
SELECT i.id AS debit_id, p.id AS credit_id, i.amount, i.closed_on,
       nextval(pg_get_serial_sequence('ledger_posting', 'id')) AS posting_id
FROM ledger_openitem i
JOIN ledger_openitem p ON p.tenant_id = i.tenant_id AND p.source_type = 'bench-payment'
    AND p.source_id = i.source_id
WHERE i.tenant_id = %(tenant)s AND i.kind = 'invoice' AND i.status = 'closed';
INSERT INTO ledger_posting (id, tenant_id, effective_date, memo, recorded_at)
SELECT posting_id, %(tenant)s, closed_on, 'bench cash', now() FROM bench_pairs;
INSERT INTO ledger_application (tenant_id, kind, debit_item_id, credit_item_id, amount,
    credit_amount, debit_base_amount, credit_base_amount, fx_gain_base, effective_date,
    posting_id, recorded_at)
SELECT %(tenant)s, 'cash', debit_id, credit_id, amount, amount, amount, amount, 0, closed_on,
    posting_id, now()
FROM bench_pairs;
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--invoices", type=int, default=600_000)
    parser.add_argument("--batch", type=int, default=2_000)
    args = parser.parse_args()
    setup_django()

    from django.db import connection, transaction

    from credit.models import CreditProfile
    from credit.services import credit_rescore_tenant, credit_scores_compute
    from otc.audit.services import Actor
    from otc.customers.models import Customer
    from otc.ledger.models import Application, OpenItem
    from otc.tenancy.context import tenant_context
    from otc.tenancy.models import Tenant

    tenant = Tenant.objects.create(
        name="Bench Scoring", slug=f"bench-scoring-{int(time.time())}", base_currency="EUR"
    )
    actor = Actor.system("bench")
    with tenant_context(tenant):
        started = time.perf_counter()
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    tenant=tenant,
                    number=f"S{i:06d}",
                    legal_name=f"Scoring Customer {i}",
                    country="DE",
                    currency="EUR",
                )
                for i in range(args.customers)
            ],
            batch_size=5_000,
        )
        params = {
            "tenant": tenant.pk,
            "first": customers[0].pk,
            "n": len(customers),
            "invoices": args.invoices,
        }
        with transaction.atomic(), connection.cursor() as cursor:
            for label, sql in (
                ("invoices", _INVOICES_SQL),
                ("payments", _PAYMENTS_SQL),
                ("applications", _APPLICATIONS_SQL),
            ):
                step = time.perf_counter()
                cursor.execute(sql, params)
                print(f"  {label}: {cursor.rowcount:,} rows in {time.perf_counter() - step:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ledger_openitem")
            cursor.execute("ANALYZE ledger_application")
        items = OpenItem.objects.count()
        applications = Application.objects.count()
        print(
            f"tenant {tenant.slug}: {len(customers):,} customers, {items:,} ledger items, "
            f"{applications:,} cash applications; loaded in {time.perf_counter() - started:.1f} s"
        )

        batch_times: list[float] = []
        last = [time.perf_counter()]

        def progress(done: int) -> None:
            now = time.perf_counter()
            batch_times.append(now - last[0])
            last[0] = now
            if len(batch_times) % 5 == 0:
                print(f"  {done:,} scored, last batch {batch_times[-1]:.2f} s")

        started = time.perf_counter()
        scored = credit_rescore_tenant(
            tenant=tenant, actor=actor, batch_size=args.batch, progress=progress
        )
        elapsed = time.perf_counter() - started
        classes = Counter(CreditProfile.objects.values_list("risk_class", flat=True))
        print(
            f"rescored {scored:,} customers in {elapsed:.1f} s ({scored / elapsed:,.0f}/s); "
            f"batches of {args.batch:,}: slowest {max(batch_times):.2f} s, "
            f"median {sorted(batch_times)[len(batch_times) // 2]:.2f} s; "
            f"classes {dict(sorted(classes.items()))}"
        )
        started = time.perf_counter()
        credit_scores_compute(
            tenant=tenant,
            actor=actor,
            customer_ids=[customers[7].pk],
            trigger="event",  # type: ignore[arg-type]
        )
        print(f"one customer after an event: {(time.perf_counter() - started) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
