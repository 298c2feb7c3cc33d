"""Two imports racing to apply cash to the same invoice, with real COMMITs:
both engines saw the invoice open; exactly one applies, the other payment
waits in the queue, and the invoice is never over-applied."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from collections_app.models import Payment, PaymentStatus
from collections_app.services import statements_import
from collections_app.services.matching import index_load, payments_match
from otc.ledger.models import Application, OpenItem
from otc.tenancy.context import tenant_context
from tests.collections_app.conftest import DAY, SYSTEM, customer, invoice, statement, tx
from tests.factories import TenantFactory

pytestmark = pytest.mark.usefixtures("committed_db")


def _race(tenant, payment_id, barrier):
    try:
        with tenant_context(tenant):
            index = index_load(tenant=tenant, on=DAY)  # both see the invoice open
            barrier.wait(timeout=30)
            return payments_match(tenant=tenant, payment_ids=[payment_id], index=index)
    finally:
        connections.close_all()


def test_two_imports_never_over_apply_one_invoice():
    tenant = TenantFactory(slug="race", base_currency="EUR")
    with tenant_context(tenant):
        acme = customer(tenant, "K1", "Acme Tools AG")
        target = invoice(tenant, acme, "INV-2026-000777", "500.00")
        ids = []
        for n in (1, 2):
            result = statements_import(
                tenant=tenant,
                actor=SYSTEM,
                statements=[
                    statement(f"RACE-{n}", tx("500.00", text="INV-2026-000777", e2e=f"E{n}"))
                ],
                file_sha256=str(n) * 64,
                match=False,
            )
            ids.append(Payment.objects.get(statement_lines__statement=result.statements[0]).pk)
    barrier = threading.Barrier(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_race, tenant, payment_id, barrier) for payment_id in ids]
        counts = [future.result(timeout=120) for future in futures]
    assert sorted(c["auto_applied"] for c in counts) == [0, 1], counts
    assert sum(c["stale"] for c in counts) == 1
    with tenant_context(tenant):
        target = OpenItem.objects.get(pk=target.pk)
        assert target.open_amount == Decimal("0")
        applied = Application.objects.filter(debit_item=target, kind="cash")
        assert sum(a.amount for a in applied) == Decimal("500.00")
        statuses = sorted(Payment.objects.values_list("status", flat=True))
        assert statuses == sorted([PaymentStatus.APPLIED, PaymentStatus.UNIDENTIFIED])
        loser = Payment.objects.get(status=PaymentStatus.UNIDENTIFIED)
        assert "Not applied automatically" in loser.match_summary
