"""A promise to pay is kept the moment cash application applies its money:
a bank statement is imported and matched, and the promises it pays are kept
on the spot, without waiting for the hourly check."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from collections_app.dunning.models import PromiseStatus, PromiseToPay
from collections_app.dunning.services.promises import (
    PromiseInput,
    promise_record,
    promises_keep_for_items,
)
from collections_app.services import statement_match, statements_import
from otc.audit.models import AuditEvent
from otc.ledger.models import ItemStatus
from otc.tenancy.context import tenant_context
from tests.collections_app.conftest import DAY, SYSTEM, customer, invoice, refreshed, statement, tx

pytestmark = pytest.mark.django_db


def _promise(tenant, cust, amount: str, *, items=(), currency: str = "EUR") -> PromiseToPay:
    return promise_record(
        tenant=tenant,
        actor=SYSTEM,
        data=PromiseInput(
            customer_id=cust.pk,
            amount=Decimal(amount),
            currency=currency,
            promised_date=DAY + timedelta(days=5),
            item_ids=[item.pk for item in items],
        ),
    )


def _import_and_match(tenant, statement_id: str, *transactions) -> dict[str, int]:
    result = statements_import(
        tenant=tenant,
        actor=SYSTEM,
        statements=[statement(statement_id, *transactions)],
        file_sha256=statement_id.encode().hex().ljust(64, "0")[:64],
        match=False,
    )
    return statement_match(tenant=tenant, statement_id=result.statements[0].pk)


@time_machine.travel(DAY, tick=False)
def test_statement_import_keeps_the_promises_it_pays_and_nothing_else(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        other = customer(tenant_b, "K1", "Acme Tools AG", currency="USD")
        other_invoice = invoice(tenant_b, other, "INV-2026-000101", "1190.00", currency="USD")
        other_promise = _promise(tenant_b, other, "1190.00", items=[other_invoice], currency="USD")
    with tenant_context(tenant_a):
        acme = customer(tenant_a, "K1", "Acme Tools AG")
        paid = invoice(tenant_a, acme, "INV-2026-000101", "1190.00")
        unpaid = invoice(tenant_a, acme, "INV-2026-000102", "300.00")
        on_paid_item = _promise(tenant_a, acme, "1190.00", items=[paid])
        on_other_item = _promise(tenant_a, acme, "300.00", items=[unpaid])
        whole_account_too_big = _promise(tenant_a, acme, "1490.00")

        counts = _import_and_match(
            tenant_a,
            "STMT-P1",
            tx("1190.00", name="ACME TOOLS AG", text="INV-2026-000101", e2e="E2E-P1"),
        )

        assert counts["auto_applied"] == 1
        assert refreshed(paid).status == ItemStatus.CLOSED
        on_paid_item.refresh_from_db()
        assert (on_paid_item.status, on_paid_item.resolved_on) == (PromiseStatus.KEPT, DAY)
        assert on_paid_item.applied_so_far == Decimal("1190.00")
        on_other_item.refresh_from_db()
        assert (on_other_item.status, on_other_item.applied_so_far) == (
            PromiseStatus.OPEN,
            Decimal("0.00"),
        )
        # The account-wide promise counts the cash but still waits for 300.00 more.
        whole_account_too_big.refresh_from_db()
        assert whole_account_too_big.status == PromiseStatus.OPEN
        assert whole_account_too_big.applied_so_far == Decimal("1190.00")
        assert AuditEvent.objects.filter(action="collections.promise_kept").count() == 1

        # The rest arrives the next day: both remaining promises are kept.
        with time_machine.travel(DAY + timedelta(days=1), tick=False):
            counts = _import_and_match(
                tenant_a,
                "STMT-P2",
                tx("300.00", name="ACME TOOLS AG", text="INV-2026-000102", e2e="E2E-P2"),
            )
        assert counts["auto_applied"] == 1
        for promise in (on_other_item, whole_account_too_big):
            promise.refresh_from_db()
            assert (promise.status, promise.resolved_on) == (
                PromiseStatus.KEPT,
                DAY + timedelta(days=1),
            )
        assert whole_account_too_big.applied_so_far == Decimal("1490.00")

        # Calling again (a retried task) keeps nothing twice.
        again = promises_keep_for_items(
            tenant=tenant_a,
            actor=SYSTEM,
            customer_id=acme.pk,
            item_ids=[paid.pk, unpaid.pk],
            day=DAY + timedelta(days=2),
        )
        assert again == []
        on_paid_item.refresh_from_db()
        assert on_paid_item.resolved_on == DAY
        assert AuditEvent.objects.filter(action="collections.promise_kept").count() == 3

    with tenant_context(tenant_b):
        other_promise.refresh_from_db()
        assert other_promise.status == PromiseStatus.OPEN
        assert other_promise.applied_so_far == Decimal("0.00")
        assert AuditEvent.objects.filter(action="collections.promise_kept").count() == 0


@time_machine.travel(DAY, tick=False)
def test_a_promise_made_after_an_earlier_payment_needs_new_money(tenant_a):
    with tenant_context(tenant_a):
        acme = customer(tenant_a, "K1", "Acme Tools AG")
        first = invoice(tenant_a, acme, "INV-2026-000201", "500.00")
        _import_and_match(
            tenant_a, "STMT-Q1", tx("500.00", name="ACME TOOLS AG", text="INV-2026-000201")
        )
        assert refreshed(first).status == ItemStatus.CLOSED
        promise = _promise(tenant_a, acme, "250.00")
        second = invoice(tenant_a, acme, "INV-2026-000202", "250.00")

        kept = promises_keep_for_items(
            tenant=tenant_a, actor=SYSTEM, customer_id=acme.pk, item_ids=[first.pk], day=DAY
        )
        assert kept == []
        promise.refresh_from_db()
        assert (promise.status, promise.applied_so_far) == (PromiseStatus.OPEN, Decimal("0.00"))

        _import_and_match(
            tenant_a, "STMT-Q2", tx("250.00", name="ACME TOOLS AG", text="INV-2026-000202")
        )
        assert refreshed(second).status == ItemStatus.CLOSED
        promise.refresh_from_db()
        assert promise.status == PromiseStatus.KEPT
