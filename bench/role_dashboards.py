"""Role dashboards at scale (issue 8: each loads in well under a second):
server time of the credit manager's, a collector's, the AR clerk's and a
deductions analyst's dashboard, the whole request through Django's test
client (middleware, session, tenant context, every panel's queries and the
templates), as the application role with row-level security on.

Data, one tenant loaded once with INSERT ... SELECT generate_series:
- the reporting book of bench/reporting.py (its SQL): --items documents over
  24 months for --customers customers, each with a credit profile (classes
  A-E, limit 50,000 EUR), unapplied payments and deductions among them;
- a Payment row (unapplied, value dates over 60 days) for every open
  payment item, so the AR clerk's queue has tens of thousands of rows;
- ten collectors splitting the customers, each with a monthly target, and a
  promise to pay for every 20th customer (due today, due later or broken);
- the deductions of bench/deductions_queue.py (its SQL): --deductions rows
  with owners, reasons and research due dates.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otc_bench \\
        .venv/bin/python -m bench.role_dashboards --items 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import psycopg

from bench.common import setup_django
from bench.deductions_queue import _LOAD_SQL as DEDUCTIONS_SQL
from bench.reporting import _ITEMS_SQL, _PAYMENTS_SQL

COLLECTORS = 10

_PAYMENTS_ROWS_SQL = """
INSERT INTO collections_app_payment (tenant_id, external_ref, source, customer_id, open_item_id,
    number, amount, currency, value_date, payer_name, payer_account, payer_bic, bank_reference,
    end_to_end_id, remittance_text, structured_references, status, match_summary,
    return_reason, created_at, updated_at)
SELECT %(tenant)s, NULL, 'bank', i.customer_id, i.id, 'BP-' || i.id, -i.amount, i.currency,
    current_date - (i.id %% 60)::int, '', '', '', '', '', '', '{}', 'unapplied', '', '',
    now(), now()
FROM ledger_openitem AS i
WHERE i.tenant_id = %(tenant)s AND i.kind = 'payment' AND i.status = 'open'
"""

_PROMISES_SQL = """
INSERT INTO collections_app_promisetopay (tenant_id, customer_id, amount, currency,
    promised_date, status, note, applied_at_promise, applied_so_far, resolved_on,
    created_at, updated_at)
SELECT %(tenant)s, c.id, 500, 'EUR',
    current_date + CASE c.id %% 3 WHEN 0 THEN 0 WHEN 1 THEN 7 ELSE -3 END,
    CASE WHEN c.id %% 3 = 2 THEN 'broken' ELSE 'open' END, '', 0, 0,
    CASE WHEN c.id %% 3 = 2 THEN current_date - 1 END, now(), now()
FROM customers_customer AS c
WHERE c.tenant_id = %(tenant)s AND c.id %% 20 = 0
"""

DASHBOARDS = (
    ("credit_manager", "credit manager"),
    ("collector", "collector (own customers)"),
    ("ar_clerk", "AR clerk"),
    ("deductions_analyst", "deductions analyst"),
)


def main() -> None:  # noqa: PLR0915  (a script: load, then measure)
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000, help="generated documents")
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--deductions", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    setup_django()

    from django.db import connection, transaction

    from credit.models import CreditProfile
    from deductions.models import Deduction, ReasonCode
    from deductions.services import reason_codes_ensure
    from otc.accounts.models import User
    from otc.customers.models import Customer
    from otc.ledger.models import OpenItem
    from otc.tenancy.context import tenant_context
    from otc.tenancy.models import Membership, Tenant

    slug = f"bench-roles-{args.items}"
    tenant, _ = Tenant.objects.get_or_create(
        slug=slug, defaults={"name": "Bench Role Dashboards", "base_currency": "EUR"}
    )
    with tenant_context(tenant):
        reason_codes_ensure(tenant=tenant)
        if not Membership.objects.exists():
            for role in ("credit_manager", "ar_clerk", "deductions_analyst"):
                user, _ = User.objects.get_or_create(email=f"{role}@{slug}.example")
                Membership.objects.create(tenant=tenant, user=user, role=role)
            for number in range(COLLECTORS):
                user, _ = User.objects.get_or_create(
                    email=f"collector{number}@{slug}.example",
                    defaults={"full_name": f"Collector {number}"},
                )
                Membership.objects.create(
                    tenant=tenant, user=user, role="collector", monthly_collection_target=250_000
                )
        if not Customer.objects.exists():
            print(f"loading {args.customers:,} customers and credit profiles ...", flush=True)
            collectors = list(
                Membership.objects.filter(role="collector")
                .order_by("pk")
                .values_list("user_id", flat=True)
            )
            customers = Customer.objects.bulk_create(
                [
                    Customer(
                        tenant=tenant,
                        number=f"R{i:06d}",
                        legal_name=f"Role Customer {i}",
                        country=("DE", "FR", "GB", "US", "AT")[i % 5],
                        currency="EUR",
                        collector_id=collectors[i % COLLECTORS],
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
                        credit_limit=50_000 if index % 4 else 5_000,
                        risk_class="ABCDE"[index % 5],
                        next_review_date=None,
                    )
                    for index, customer in enumerate(customers)
                ],
                batch_size=5000,
            )
        if not OpenItem.objects.exists():
            ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
            print(f"loading {args.items:,} documents, payments and promises ...", flush=True)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant.pk)])
                cursor.execute(
                    _ITEMS_SQL,
                    {"tenant": tenant.pk, "first": ids[0], "n": len(ids), "items": args.items},
                )
                # See bench/reporting.py: the triggers need memory for this batch.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute(_PAYMENTS_SQL, {"tenant": tenant.pk})
                cursor.execute(_PAYMENTS_ROWS_SQL, {"tenant": tenant.pk})
                cursor.execute(_PROMISES_SQL, {"tenant": tenant.pk})
        if not Deduction.objects.exists():
            print(f"loading {args.deductions:,} deductions ...", flush=True)
            reasons = list(ReasonCode.objects.order_by("pk").values_list("pk", flat=True))
            analysts = list(
                Membership.objects.filter(role="deductions_analyst").values_list(
                    "user_id", flat=True
                )
            )
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant.pk)])
                cursor.execute(
                    DEDUCTIONS_SQL,
                    {
                        "tenant": tenant.pk,
                        "n": args.deductions,
                        "reasons": reasons,
                        "owners": (analysts * 10)[:10],
                    },
                )
        # VACUUM needs its own autocommit connection (see bench/deductions_queue.py).
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as raw:
            for table in (
                "ledger_openitem",
                "ledger_customerbalance",
                "ledger_agingbalance",
                "ledger_agingchange",
                "ledger_receivableflow",
                "ledger_customercashday",
                "ledger_application",
                "customers_customer",
                "credit_creditprofile",
                "credit_order",
                "collections_app_payment",
                "collections_app_promisetopay",
                "deductions_deduction",
            ):
                raw.execute(f"VACUUM ANALYZE {table}")
        print(
            f"tenant {slug}: {Customer.objects.count():,} customers, "
            f"{OpenItem.objects.filter(status='open').count():,} open items, "
            f"{Deduction.objects.count():,} deductions",
            flush=True,
        )
        print(f"load average: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
        medians = [_measure(tenant, role, label, runs=args.runs) for role, label in DASHBOARDS]
        print(f"worst median {max(medians):.1f} ms; budget: well under 1,000 ms")
        print(f"load average: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)


def _measure(tenant: Any, role: str, label: str, *, runs: int) -> float:
    from django.db import connection, transaction
    from django.test import Client

    from otc.tenancy.middleware import SESSION_TENANT_KEY
    from otc.tenancy.models import Membership

    membership = Membership.objects.filter(role=role).order_by("pk").first()
    assert membership is not None
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session[SESSION_TENANT_KEY] = tenant.pk
    session.save()
    samples = []
    for _ in range(runs + 1):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL ROLE otc_app")
            start = time.perf_counter()
            response = client.get(f"/dashboards/{role}/")
            samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (role, response.status_code)
    panels = response.content.count(b'data-testid="panel-')
    samples = sorted(samples[1:])  # the first warms caches
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    median = statistics.median(samples)
    print(f"{label:28} median {median:7.1f} ms  p95 {p95:7.1f} ms  ({panels} panels)")
    return median


if __name__ == "__main__":
    main()
