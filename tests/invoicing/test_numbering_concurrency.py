"""Gap-free numbering under real concurrency: 8 threads, each with its own
database connection, issuing 200 invoices with real COMMITs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connections

from invoicing.models import Invoice, NumberSequence
from invoicing.services import invoice_issue
from otc.errors import ValidationFailed
from otc.ledger.models import OpenItem
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory, TenantFactory
from tests.invoicing.factories import SYSTEM, draft_invoice, line

pytestmark = pytest.mark.usefixtures("committed_db")

THREADS = 8
DAY = date(2026, 6, 30)


def _issue_all(tenant, invoice_ids, barrier):
    """One worker: issue its share, one transaction per invoice."""
    outcomes = []
    try:
        with tenant_context(tenant):
            barrier.wait(timeout=30)
            for invoice_id in invoice_ids:
                invoice = Invoice.objects.get(pk=invoice_id)
                try:
                    issued = invoice_issue(
                        tenant=tenant, actor=SYSTEM, invoice=invoice, issue_date=DAY
                    )
                except ValidationFailed:
                    outcomes.append((invoice_id, None))
                else:
                    outcomes.append((invoice_id, issued.number))
    finally:
        connections.close_all()  # each thread opened its own connection
    return outcomes


def test_200_parallel_issues_get_200_distinct_consecutive_numbers():
    tenant = TenantFactory(slug="numbering", base_currency="EUR")
    other = TenantFactory(slug="numbering-other", base_currency="EUR")
    with tenant_context(other):
        other_invoice = draft_invoice(other, CustomerFactory())
        invoice_issue(tenant=other, actor=SYSTEM, invoice=other_invoice, issue_date=DAY)
    with tenant_context(tenant):
        customer = CustomerFactory()
        good = [draft_invoice(tenant, customer, [line("10.00")]).pk for _ in range(200)]
        # Twenty drafts fail at issue (no USD rate): they must not leave gaps.
        bad = [draft_invoice(tenant, customer, currency="USD").pk for _ in range(20)]
    ids = good + bad
    ids.sort()  # interleave the failing ones among the good ones per worker
    shares = [ids[i::THREADS] for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(_issue_all, tenant, share, barrier) for share in shares]
        outcomes = [outcome for future in futures for outcome in future.result(timeout=300)]

    numbers = [number for _, number in outcomes if number is not None]
    failed = [invoice_id for invoice_id, number in outcomes if number is None]
    assert sorted(failed) == sorted(bad)
    assert len(numbers) == 200
    assert len(set(numbers)) == 200
    assert sorted(numbers) == [f"INV-2026-{value:06d}" for value in range(1, 201)]
    with tenant_context(tenant):
        assert NumberSequence.objects.get(series="INV", year=2026).next_value == 201
        assert OpenItem.objects.count() == 200
        stored = dict(Invoice.objects.filter(pk__in=good).values_list("pk", "number"))
        assert set(Invoice.objects.filter(pk__in=bad).values_list("status", flat=True)) == {"draft"}
    assert stored == {invoice_id: number for invoice_id, number in outcomes if number}
    with tenant_context(other):
        assert NumberSequence.objects.get().next_value == 2  # untouched by the rush
