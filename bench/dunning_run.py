"""Dunning and worklist at scale (issue 6 budgets):
- a dunning run over 100,000 overdue items / 20,000 customers, letters
  selected and recorded (PDF rendering and sending excluded: they fan out
  to workers): < 60 s;
- a collector's worklist page with 2,000 assigned customers: < 300 ms
  server time (with the day's strategy calls and escalations beside it).

Data: one tenant, 20,000 customers, 100,000 open invoices, all overdue (1 to
120 days, so every level of the four-level policy is reached), loaded with
INSERT ... SELECT generate_series. 2,000 customers are assigned to one
collector. Each run measurement starts from no dunning history (the
previous run's letters and notices are deleted by the owner first), so
every run selects and records all 100,000 items in 20,000 letters.

Timings are taken as the application role (row-level security on), as the
product runs.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otc_dunning \\
        .venv/bin/python -m bench.dunning_run
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from decimal import Decimal

from bench.common import setup_django, timed


def main() -> None:  # noqa: PLR0915  (a script: load, then measure)
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--assigned", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3, help="dunning runs to time (0: none)")
    parser.add_argument("--priority-runs", type=int, default=3)
    parser.add_argument(
        "--profile", action="store_true", help="print the worklist page's top functions"
    )
    args = parser.parse_args()
    setup_django()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from collections_app.dunning.models import (
        CollectionPriority,
        DunningCharge,
        DunningLetter,
        DunningNotice,
        DunningPolicy,
        DunningRun,
    )
    from collections_app.dunning.services.policies import (
        LevelInput,
        PolicyInput,
        TemplateInput,
        dunning_policy_create,
    )
    from collections_app.dunning.services.priorities import collection_priorities_compute
    from collections_app.dunning.services.runs import dunning_run_start
    from collections_app.strategies.models import CollectionTask, StrategyStep
    from collections_app.strategies.services.strategies import strategies_run, strategy_step_add
    from credit.models import CreditProfile
    from otc.accounts.models import User
    from otc.audit.services import Actor
    from otc.customers.models import Customer
    from otc.ledger.models import OpenItem
    from otc.settings.database import app_role_name
    from otc.tenancy.context import tenant_context
    from otc.tenancy.models import Membership, Tenant
    from tests.fixtures_web import sign_in

    system = Actor.system("bench")
    slug = f"bench-dunning-{args.items}"
    tenant, _ = Tenant.objects.get_or_create(
        slug=slug, defaults={"name": "Bench Dunning", "base_currency": "EUR"}
    )
    today = timezone.localdate()
    with tenant_context(tenant):
        if not DunningPolicy.objects.exists():
            template = TemplateInput(
                language="en",
                subject="{level_name}: {total_due}",
                body="Dear {contact_name},\n{items}",
                letter_text="Please pay {total_due}.",
            )
            dunning_policy_create(
                tenant=tenant,
                actor=system,
                data=PolicyInput(
                    name="Standard",
                    is_default=True,
                    levels=[
                        LevelInput(name="Reminder", days_overdue=-3, templates=[template]),
                        LevelInput(name="First", days_overdue=7, templates=[template]),
                        LevelInput(
                            name="Second",
                            days_overdue=21,
                            fee_amount=Decimal(5),
                            templates=[template],
                        ),
                        LevelInput(name="Final", days_overdue=45, templates=[template]),
                    ],
                ),
            )
        if not Customer.objects.exists():
            print(f"loading {args.customers:,} customers ...")
            Customer.objects.bulk_create(
                [
                    Customer(
                        tenant=tenant,
                        number=f"D{i:06d}",
                        legal_name=f"Dunning Customer {i}",
                        country="DE",
                        currency="EUR",
                    )
                    for i in range(args.customers)
                ],
                batch_size=5000,
            )
        if not OpenItem.objects.exists():
            print(f"loading {args.items:,} overdue items ...")
            ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant.pk)])
                cursor.execute(
                    """
                    INSERT INTO ledger_openitem (tenant_id, customer_id, kind, number, currency,
                        amount, fx_rate, base_amount, open_amount, open_base_amount,
                        document_date, due_date, status, source_type, source_id, recorded_at)
                    SELECT %(tenant)s, %(first)s + (g %% %(n)s), 'invoice', 'D-' || g, 'EUR',
                        amt, 1, amt, amt, amt,
                        current_date - (g %% 120) - 31, current_date - (g %% 120) - 1,
                        'open', 'bench', g::text, now()
                    FROM (
                        SELECT g, round((50 + (g::bigint * 7919 %% 100000) / 10.0)::numeric, 2)
                               AS amt
                        FROM generate_series(1, %(items)s) AS g
                    ) AS rows
                    """,
                    {"tenant": tenant.pk, "first": ids[0], "n": len(ids), "items": args.items},
                )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE ledger_openitem")
                cursor.execute("ANALYZE customers_customer")
        collector, _ = User.objects.get_or_create(
            email="collector@bench-dunning.example", defaults={"full_name": "Bench Collector"}
        )
        membership, _ = Membership.objects.get_or_create(
            tenant=tenant, user=collector, defaults={"role": "collector"}
        )
        assigned_ids = list(
            Customer.objects.order_by("pk").values_list("pk", flat=True)[: args.assigned]
        )
        Customer.objects.filter(pk__in=assigned_ids).update(collector=collector)

        def forget_runs() -> None:
            # The owner clears the history so each run selects everything again.
            with connection.cursor() as cursor:
                cursor.execute("RESET ROLE")
            DunningCharge.objects.all().delete()
            DunningNotice.objects.all().delete()
            DunningLetter.objects.all().delete()
            DunningRun.objects.all().delete()

        def as_app() -> None:
            with connection.cursor() as cursor:
                cursor.execute(f'SET ROLE "{app_role_name()}"')

        print(
            f"tenant {slug}: {Customer.objects.count():,} customers, "
            f"{OpenItem.objects.filter(status='open').count():,} open items"
        )
        samples = []
        for _ in range(args.runs):
            forget_runs()
            as_app()
            start = time.perf_counter()
            run = dunning_run_start(tenant=tenant, actor=system, run_date=today, trigger="manual")
            samples.append(time.perf_counter() - start)
            print(
                f"dunning run: {samples[-1]:.2f} s -> {run.letter_count:,} letters, "
                f"{run.notice_count:,} items (status {run.status})"
            )
        if samples:
            print(f"dunning run, best of {len(samples)}: {min(samples):.2f} s (budget 60 s)")

        as_app()
        timed(
            f"priorities for every customer ({args.customers:,})",
            max(args.priority_runs, 1),
            lambda: collection_priorities_compute(tenant=tenant, day=today),
        )
        print(f"  -> {CollectionPriority.objects.filter(day=today).count():,} rows")

        # Collection strategies: every customer has a class C profile; calls at
        # 10 days and escalations at 45 fill the worklist's task sections.
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        if not CreditProfile.objects.exists():
            CreditProfile.objects.bulk_create(
                [
                    CreditProfile(tenant=tenant, customer_id=pk, currency="EUR", risk_class="C")
                    for pk in Customer.objects.values_list("pk", flat=True)
                ],
                batch_size=5000,
            )
        if not StrategyStep.objects.exists():
            for kind, days in (("call", 10), ("escalation", 45)):
                strategy_step_add(
                    tenant=tenant, actor=system, risk_class="C", kind=kind, days_overdue=days
                )
        CollectionTask.objects.all().delete()
        as_app()
        start = time.perf_counter()
        created = strategies_run(tenant=tenant, day=today)
        print(
            f"strategies for {args.customers:,} customers: {time.perf_counter() - start:.2f} s "
            f"-> {created:,} tasks; again the same day: "
            f"{strategies_run(tenant=tenant, day=today)} new"
        )
        # Statistics as autovacuum keeps them on a running server (ANALYZE
        # needs the owner: as the app role it skips the table with a warning).
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
            for table in (
                "customers_customer",
                "collections_app_collectionpriority",
                "collections_app_collectiontask",
            ):
                cursor.execute(f"ANALYZE {table}")
        as_app()

        client = sign_in(Client(), membership)
        response = client.get("/collections/")
        assert response.status_code == 200, response.status_code
        mine = CollectionPriority.objects.filter(day=today, customer__collector=collector).count()
        print(f"worklist of the collector: {mine:,} customers")
        # Server time of the page view (test client: no network, no browser),
        # warm: the first request above computed nothing new (the daily job's
        # priorities exist) but filled the caches a running server has.
        for label, url in (
            ("worklist page (first page, 50 rows)", "/collections/"),
            ("worklist page sorted by amount, page 10", "/collections/?sort=-amount&page=10"),
            ("worklist page, everyone", "/collections/?scope=all"),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            print(f"{label}: {len(queries)} queries")
            timed(f"{label} (budget 300 ms)", 30, lambda url=url: client.get(url))
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(client.get, "/collections/")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            with CaptureQueriesContext(connection) as queries:
                client.get("/collections/")
            for query in queries.captured_queries:
                print(f"{query['time']} s  {query['sql'][:300]}")


if __name__ == "__main__":
    main()
