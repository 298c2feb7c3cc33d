"""Deductions queue at scale (issue 7 budget): the first page of the analyst
queue with 50,000 open deductions, with filters and orderings, < 300 ms
server time.

Data: one tenant, 2,000 customers each with one short-paid invoice item,
50,000 open DEDUCTION ledger items and their Deduction rows (loaded with
INSERT ... SELECT generate_series), spread over the ten default reason codes,
ten owners (a fifth unassigned), every open status and 120 days of age; a
third are past their research due date.

Server time is the whole request through Django's test client (middleware,
session, tenant context, queries, template) for a signed-in deductions
analyst, measured as the owner role and as the application role (row-level
security on), like bench/ledger_aging.py.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otc_bench \\
        .venv/bin/python -m bench.deductions_queue
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import psycopg

from bench.common import setup_django

ORDERINGS_AND_FILTERS = (
    ("oldest first (default)", ""),
    ("largest amount first", "?sort=-value"),
    ("research due soonest", "?sort=due"),
    ("status in research", "?status=in_research"),
    ("one reason", "?reason={reason}"),
    ("my items", "?owner=me"),
    ("SLA breached, largest first", "?sla=on&sort=-value"),
    ("reason + owner + newest", "?reason={reason}&owner={owner}&sort=-opened"),
    ("unassigned, page 20", "?owner=none&page=20"),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deductions", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    setup_django()

    from django.db import connection, transaction

    from deductions.models import Deduction, ReasonCode
    from deductions.services import reason_codes_ensure
    from otc.accounts.models import User
    from otc.customers.models import Customer
    from otc.tenancy.context import tenant_context
    from otc.tenancy.models import Membership, Tenant

    slug = f"bench-deductions-{args.deductions}"
    tenant, _ = Tenant.objects.get_or_create(
        slug=slug, defaults={"name": "Bench Deductions", "base_currency": "EUR"}
    )
    with tenant_context(tenant):
        reason_codes_ensure(tenant=tenant)
        if not Membership.objects.exists():
            for i in range(10):
                user, _ = User.objects.get_or_create(email=f"analyst{i}@{slug}.example")
                Membership.objects.create(
                    tenant=tenant, user=user, role="deductions_analyst", approval_limit=500
                )
        if not Deduction.objects.exists():
            print(f"loading 2,000 customers and {args.deductions:,} deductions ...")
            with transaction.atomic():
                Customer.objects.bulk_create(
                    [
                        Customer(
                            tenant=tenant,
                            number=f"D{i:05d}",
                            legal_name=f"Deduction Customer {i}",
                            country="DE",
                            currency="EUR",
                        )
                        for i in range(2000)
                    ],
                    batch_size=2000,
                )
                reasons = list(ReasonCode.objects.order_by("pk").values_list("pk", flat=True))
                owners = list(Membership.objects.order_by("pk").values_list("user_id", flat=True))
                with connection.cursor() as cursor:
                    cursor.execute(
                        _LOAD_SQL,
                        {
                            "tenant": tenant.pk,
                            "n": args.deductions,
                            "reasons": reasons,
                            "owners": owners,
                        },
                    )
        # As autovacuum would after a load this size: stale estimates (2,000
        # customers believed to be one) make the planner join everything
        # before it sorts, and without a visibility map COUNT cannot read the
        # index alone. VACUUM needs its own autocommit connection (the tenant
        # backend opens a transaction for every statement).
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as raw:
            for table in (
                "deductions_deduction",
                "deductions_reasoncode",
                "ledger_openitem",
                "customers_customer",
                "accounts_user",
            ):
                raw.execute(f"VACUUM ANALYZE {table}")
        print(f"tenant {slug}: {Deduction.objects.count():,} deductions")
        # The second reason and the second member share rows (g % 10 = 1).
        reason = ReasonCode.objects.order_by("pk")[1].pk
        membership = Membership.objects.order_by("pk")[1]
        assert membership is not None
        for role in ("owner (no row-level security)", "otc_app (row-level security)"):
            print(f"-- as {role}")
            _measure(tenant, membership, reason, runs=args.runs, as_app=role.startswith("otc_app"))


def _measure(tenant: Any, membership: Any, reason: int, *, runs: int, as_app: bool) -> None:
    from django.db import connection, transaction
    from django.test import Client

    from otc.tenancy.middleware import SESSION_TENANT_KEY

    client = Client()
    client.force_login(membership.user)
    session = client.session
    session[SESSION_TENANT_KEY] = tenant.pk
    session.save()
    medians = []
    for label, query in ORDERINGS_AND_FILTERS:
        url = "/deductions/" + query.format(reason=reason, owner=membership.user_id)
        samples = []
        for _ in range(runs + 1):
            with transaction.atomic():
                if as_app:
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL ROLE otc_app")
                start = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            rows = response.content.count(b'data-testid="deduction-row"')
        samples = sorted(samples[1:])  # the first warms caches
        p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
        median = statistics.median(samples)
        medians.append(median)
        print(f"{label:32} median {median:6.1f} ms  p95 {p95:6.1f} ms  ({rows} rows)")
    print(f"worst median {max(medians):.1f} ms; budget 300 ms")


_LOAD_SQL = """
WITH invoices AS (
    INSERT INTO ledger_openitem (tenant_id, customer_id, kind, number, currency, amount,
        fx_rate, base_amount, open_amount, open_base_amount, document_date, due_date,
        status, closed_on, source_type, source_id, recorded_at)
    SELECT %(tenant)s, c.id, 'invoice', 'BI-' || c.number, 'EUR', 1000, 1, 1000, 0, 0,
        current_date - 150, current_date - 120, 'closed', current_date - 120, 'bench', c.id,
        now()
    FROM customers_customer c WHERE c.tenant_id = %(tenant)s
    RETURNING id, customer_id
),
numbered_invoices AS (
    SELECT id, customer_id, row_number() OVER (ORDER BY id) - 1 AS k FROM invoices
),
rows AS (
    SELECT g, i.id AS invoice_id, i.customer_id,
        round((5 + (g::bigint * 7919 %% 200000) / 100.0)::numeric, 2) AS amount,
        (g %% 120) AS age
    FROM generate_series(1, %(n)s) AS g
    JOIN numbered_invoices i ON i.k = g %% 2000
),
items AS (
    INSERT INTO ledger_openitem (tenant_id, customer_id, kind, number, currency, amount,
        fx_rate, base_amount, open_amount, open_base_amount, document_date, due_date,
        status, source_type, source_id, recorded_at)
    SELECT %(tenant)s, customer_id, 'deduction', 'BD-' || g, 'EUR', amount, 1, amount,
        amount, amount, current_date - age, current_date - age, 'open', 'bench-ded',
        g::text, now()
    FROM rows
    RETURNING id, source_id
)
INSERT INTO deductions_deduction (tenant_id, customer_id, open_item_id, invoice_item_id,
    amount, currency, reason_code, reason_text, reason_id, source, status, owner_id,
    owner_team, research_due, note, created_at, updated_at)
SELECT %(tenant)s, r.customer_id, items.id, r.invoice_id, r.amount, 'EUR', '', '',
    (%(reasons)s::bigint[])[1 + r.g %% 10],
    CASE WHEN r.g %% 9 = 0 THEN 'dispute' ELSE 'short_payment' END,
    (ARRAY['new','assigned','in_research','waiting_customer','waiting_internal',
           'valid','invalid'])[1 + r.g %% 7],
    CASE WHEN r.g %% 5 = 0 THEN NULL ELSE (%(owners)s::bigint[])[1 + r.g %% 10] END,
    'accounts_receivable',
    current_date - r.age + CASE WHEN r.g %% 3 = 0 THEN 0 ELSE 90 END,
    '', now() - make_interval(days => r.age), now() - make_interval(days => r.age)
FROM rows r JOIN items ON items.source_id = r.g::text
"""


if __name__ == "__main__":
    main()
