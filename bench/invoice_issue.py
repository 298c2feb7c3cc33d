"""Issuing at scale (issue 3 budget): 100,000 invoices through the service
layer at >= 500 invoices/s sustained on this 2-core machine.

Drafts (3 lines each, EUR and USD, 2,000 customers) are loaded in bulk first;
only issuing is timed: `invoice_issue_many` in batches (default 1,000), each
batch one transaction that numbers, locks rates, posts ledger items with
their postings and writes the audit trail. Throughput is printed per batch
and overall.

`--installments` issues every invoice under "3X30" terms (30/30/40 % at
30/60/90 days): three ledger items and three installment rows per invoice.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from decimal import Decimal

from bench.common import setup_django


def _fresh_statistics() -> None:
    """Autovacuum is off on the bench machine: without fresh statistics the
    planner takes the tenant's hundred thousand drafts for a few dozen."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer, invoicing_invoice, invoicing_invoiceline")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--installments", action="store_true", help="issue under 3X30 split terms")
    args = parser.parse_args()
    setup_django()

    from invoicing.models import Invoice, InvoiceLine
    from invoicing.services import invoice_issue_many
    from invoicing.totals import compute_totals
    from otc.audit.services import Actor
    from otc.customers.models import Customer
    from otc.customers.services import InstallmentSpec, payment_terms_create
    from otc.fx.services import manual_rate_set
    from otc.tenancy.context import tenant_context
    from otc.tenancy.models import Tenant

    tenant = Tenant.objects.create(
        name="Bench Billing", slug=f"bench-billing-{int(time.time())}", base_currency="EUR"
    )
    actor = Actor.system("bench")
    issue_date = date(2026, 11, 2)
    with tenant_context(tenant):
        manual_rate_set(
            tenant=tenant,
            actor=actor,
            rate_date=issue_date,
            from_currency="USD",
            to_currency="EUR",
            rate=Decimal("0.8612"),
        )
        terms = None
        if args.installments:
            terms = payment_terms_create(
                tenant=tenant,
                actor=actor,
                code="3X30",
                name="3 installments: 30/30/40 % at 30/60/90 days",
                net_days=90,
                installments=[
                    InstallmentSpec(share_percent=Decimal(share), net_days=days, kind="net")
                    for share, days in (("30", 30), ("30", 60), ("40", 90))
                ],
            )
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    tenant=tenant,
                    number=f"C{i:05d}",
                    legal_name=f"Customer {i}",
                    country="DE",
                    currency="EUR",
                )
                for i in range(args.customers)
            ]
        )
        print(f"loading {args.invoices:,} drafts ...")
        started = time.perf_counter()
        for offset in range(0, args.invoices, 5_000):
            count = min(5_000, args.invoices - offset)
            drafts = Invoice.objects.bulk_create(
                [
                    Invoice(
                        tenant=tenant,
                        customer=customers[(offset + i) % len(customers)],
                        series="INV",
                        currency="USD" if (offset + i) % 4 == 0 else "EUR",
                        issue_date=issue_date,
                        payment_terms=terms,
                    )
                    for i in range(count)
                ]
            )
            lines = []
            for index, draft in enumerate(drafts):
                for position in range(3):
                    lines.append(
                        InvoiceLine(
                            tenant=tenant,
                            invoice=draft,
                            position=position + 1,
                            description=f"Article {position}",
                            quantity=Decimal(1 + position),
                            unit_price=Decimal(19 + (index % 97)) + Decimal("0.99"),
                            discount_percent=Decimal(0),
                            tax_rate=Decimal(19),
                            tax_category="S",
                            line_net=Decimal(0),
                        )
                    )
            for line in lines:
                line.line_net = compute_totals([line], currency="EUR").net
            InvoiceLine.objects.bulk_create(lines, batch_size=5_000)
        print(f"  drafts loaded in {time.perf_counter() - started:.1f} s")
        _fresh_statistics()

        ids = list(
            Invoice.objects.filter(status="draft").order_by("pk").values_list("pk", flat=True)
        )
        total_started = time.perf_counter()
        rates = []
        for offset in range(0, len(ids), args.batch):
            batch_ids = ids[offset : offset + args.batch]
            batch = list(Invoice.objects.filter(pk__in=batch_ids))
            started = time.perf_counter()
            invoice_issue_many(tenant=tenant, actor=actor, invoices=batch)
            elapsed = time.perf_counter() - started
            rates.append(len(batch) / elapsed)
            if (offset // args.batch) % 10 == 0:
                print(f"  batch {offset // args.batch + 1}: {len(batch) / elapsed:,.0f} invoices/s")
        total = time.perf_counter() - total_started
        issued = Invoice.objects.filter(status="issued").count()
        split = "in 3 installments each" if args.installments else "one ledger item each"
        print(
            f"issued {issued:,} invoices ({split}) in {total:.1f} s: "
            f"{issued / total:,.0f} invoices/s "
            f"sustained (slowest batch {min(rates):,.0f}/s, fastest {max(rates):,.0f}/s)"
        )


if __name__ == "__main__":
    main()
