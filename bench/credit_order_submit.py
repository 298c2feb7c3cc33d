"""Order submission with the credit decision, through the API (issue 4
budget): for a customer with 5,000 open items and 200 open orders, p95 < 50 ms
over 1,000 submissions.

Data: one tenant, 2,000 customers, 55,000 open ledger items (5,000 of them
on the big customer, loaded with INSERT ... SELECT generate_series), 200
approved open orders on the big customer, a limit that lets roughly the
first half of the submissions through. Then 1,000 `POST /api/v1/orders/`
(header + 3 lines, submit=true) through DRF's in-process client with a real
API key, Idempotency-Key and a fresh external_ref each: authentication,
idempotency claim, validation, order + lines, the locked credit check
(ledger and order aggregates), outbox event, audit, the stored response.
Prints median / p95 / p99 and how many were approved and held, the
process's CPU time per submission (what a loaded machine inflates least) and
the statements one submission runs (set_config of the tenant included);
`--sql` lists them, `--profile FILE` writes a cProfile (CPU time) of the
submissions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bench.common import setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=1_000)
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--sql", action="store_true", help="list one submission's statements")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the submissions into FILE")
    args = parser.parse_args()
    # The bench is one key hammering the API: lift the per-key rate limit.
    os.environ["API_RATE_LIMIT"] = "1000000/min"
    setup_django()

    from django.db import connection

    from credit.models import Order, OrderStatus
    from credit.selectors import customer_exposure
    from credit.services import credit_limit_set, credit_policy_update
    from otc.api.services import api_key_create
    from otc.audit.services import Actor
    from otc.customers.models import Customer
    from otc.tenancy.context import tenant_context
    from otc.tenancy.dates import tenant_today
    from otc.tenancy.models import Tenant
    from otc.tenancy.roles import Role

    actor = Actor.system("bench")
    tenant = Tenant.objects.create(
        name="Bench Credit", slug=f"bench-credit-{int(time.time())}", base_currency="EUR"
    )
    with tenant_context(tenant):
        started = time.perf_counter()
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    tenant=tenant,
                    number=f"C{i:06d}",
                    legal_name=f"Credit Bench Customer {i}",
                    country="DE",
                    currency="EUR",
                    external_ref=f"ERP-C{i}",
                )
                for i in range(args.customers)
            ],
            batch_size=5_000,
        )
        big = customers[0]
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant.pk)])
            cursor.execute(
                """
                INSERT INTO ledger_openitem (tenant_id, customer_id, kind, number, currency,
                    amount, fx_rate, base_amount, open_amount, open_base_amount,
                    document_date, due_date, status, source_type, source_id, recorded_at)
                SELECT %(tenant)s,
                    CASE WHEN g <= %(big_items)s THEN %(big)s ELSE %(first)s + (g %% %(n)s) END,
                    CASE WHEN g %% 33 = 0 THEN 'payment' ELSE 'invoice' END,
                    'CB-' || g, 'EUR', amt * sign, 1, amt * sign, amt * sign, amt * sign,
                    current_date - (g %% 20),
                    CASE WHEN g %% 33 = 0 THEN NULL ELSE current_date - (g %% 20) + 30 END,
                    'open', 'bench', g::text, now()
                FROM (
                    SELECT g, round((50 + (g::bigint * 7919 %% 100000) / 10.0)::numeric, 2) AS amt,
                           CASE WHEN g %% 33 = 0 THEN -1 ELSE 1 END AS sign
                    FROM generate_series(1, %(items)s) AS g
                ) AS rows
                """,
                {
                    "tenant": tenant.pk,
                    "big": big.pk,
                    "big_items": args.items,
                    "first": customers[1].pk,
                    "n": len(customers) - 1,
                    "items": args.items + 50_000,
                },
            )
        today = tenant_today(tenant)
        Order.objects.bulk_create(
            [
                Order(
                    tenant=tenant,
                    customer=big,
                    external_ref=f"OPEN-{i}",
                    status=OrderStatus.APPROVED,
                    currency="EUR",
                    order_date=today,
                    requested_ship_date=today + timedelta(days=i % 30),
                    net_amount=Decimal("500.00"),
                    total_amount=Decimal("500.00"),
                    base_currency="EUR",
                    fx_rate=Decimal(1),
                    base_amount=Decimal("500.00"),
                    released_amount=Decimal("500.00"),
                    open_base_amount=Decimal("500.00"),
                )
                for i in range(args.orders)
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ledger_openitem")
            cursor.execute("ANALYZE credit_order")
        exposure = customer_exposure(tenant=tenant, customer=big, today=today)
        # Room for about half of the submissions (each is EUR 1,190.00).
        limit = exposure.total + Decimal(1190) * (args.submissions // 2)
        credit_limit_set(tenant=tenant, actor=actor, customer=big, amount=limit, reason="bench")
        credit_policy_update(tenant=tenant, actor=actor, hold_risk_classes=[])
        issued = api_key_create(tenant=tenant, actor=actor, name="bench", role=Role.ERP_INTEGRATION)
        open_items = big.ledger_items.filter(status="open").count()
        print(
            f"tenant {tenant.slug}: {len(customers):,} customers; the big one has "
            f"{open_items:,} open items and {args.orders} open orders "
            f"(exposure EUR {exposure.total:,.2f}, limit EUR {limit:,.2f}); "
            f"loaded in {time.perf_counter() - started:.1f} s"
        )

    _run(issued.plaintext, str(big.external_ref), today, args.submissions, args)
    _context(tenant, big, today)


def _run(
    plaintext: str, customer_ref: str, today: date, submissions: int, args: argparse.Namespace
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from otc.tenancy.db_backend import base as tenant_backend

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")

    def submit(ref: str) -> tuple[float, str]:
        body = {
            "external_ref": ref,
            "customer_external_ref": customer_ref,
            "currency": "EUR",
            "requested_ship_date": (today + timedelta(days=14)).isoformat(),
            "lines": [
                {
                    "description": "Drive unit",
                    "quantity": "2",
                    "unit_price": "300.00",
                    "tax_rate": "0",
                },
                {"description": "Gearbox", "quantity": "1", "unit_price": "500.00"},
                {"description": "Freight", "quantity": "1", "unit_price": "90.00"},
            ],
        }
        begin = time.perf_counter()
        response = client.post(
            "/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )
        elapsed = (time.perf_counter() - begin) * 1000
        if response.status_code != 201:
            raise SystemExit(f"unexpected {response.status_code}: {response.content[:500]!r}")
        return elapsed, response.json()["status"]

    for i in range(20):  # warm-up: connections, caches, code paths
        submit(f"WARM-{i}")
    # One submission's statements: Django's, plus the tenant's set_config,
    # which the backend runs on a cursor of its own.
    set_tenant = tenant_backend._set_tenant
    set_configs = []

    def counting_set_tenant(*a: Any) -> None:
        set_configs.append(a)
        set_tenant(*a)

    tenant_backend._set_tenant = counting_set_tenant  # type: ignore[assignment]
    try:
        with CaptureQueriesContext(connection) as queries:
            submit("COUNTED")
    finally:
        tenant_backend._set_tenant = set_tenant
    print(
        f"statements per submission: {len(queries) + len(set_configs)} "
        f"({len(queries)} through Django, {len(set_configs)} set_config of the tenant)"
    )
    if args.sql:
        for query in queries.captured_queries:
            print(f"  {query['sql'][:240]}")
    # CPU time, not wall time: on a shared machine the wall clock mostly
    # measures waiting for Postgres and for a core.
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    samples, outcomes = [], {"approved": 0, "held": 0}
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    for i in range(submissions):
        elapsed, status = submit(f"BENCH-{i}")
        samples.append(elapsed)
        outcomes[status] = outcomes.get(status, 0) + 1
    if profiler is not None:
        profiler.disable()
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    samples.sort()

    def pct(p: float) -> float:
        return samples[min(len(samples) - 1, int(len(samples) * p))]

    print(
        f"order submit with credit decision via API: median {statistics.median(samples):.1f} ms, "
        f"p95 {pct(0.95):.1f} ms, p99 {pct(0.99):.1f} ms, max {samples[-1]:.1f} ms "
        f"over {len(samples):,} submissions ({total:.1f} s); "
        f"approved {outcomes['approved']}, held {outcomes['held']}; "
        f"CPU {cpu * 1000 / submissions:.1f} ms per submission"
        + (" (under cProfile)" if profiler is not None else "")
    )
    if profiler is not None:
        profiler.dump_stats(args.profile)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def _context(tenant: Any, big: Any, today: date) -> None:
    """Figures that put the API numbers in context on a shared machine: the
    credit decision alone (service call, no HTTP) and the cheapest API call
    (one order by id) under the same load."""
    from rest_framework.test import APIClient

    from credit.models import Order
    from credit.services import OrderLineInput, order_create, order_submit
    from otc.api.services import api_key_create
    from otc.audit.services import Actor
    from otc.tenancy.context import tenant_context
    from otc.tenancy.roles import Role

    actor = Actor.system("bench")
    with tenant_context(tenant):
        drafts = iter(
            [
                order_create(
                    tenant=tenant,
                    actor=actor,
                    customer=big,
                    currency="EUR",
                    lines=[OrderLineInput("Drive unit", Decimal(1), Decimal("990.00"))],
                    order_date=today,
                )
                for _ in range(200)
            ]
        )
        timed(
            "credit decision alone (order_submit service, no HTTP)",
            200,
            lambda: order_submit(tenant=tenant, actor=actor, order=next(drafts)),
        )
        issued = api_key_create(tenant=tenant, actor=actor, name="ctx", role=Role.ERP_INTEGRATION)
        some = Order.objects.order_by("pk").first()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert some is not None
    timed(
        "baseline: GET /api/v1/orders/{id}/ under the same load",
        200,
        lambda: client.get(f"/api/v1/orders/{some.pk}/"),
    )


if __name__ == "__main__":
    main()
