"""A bank statement paying one installment of a split invoice: applied to
the earliest-due part automatically, no deduction for the parts not due yet,
the invoice partly paid; paying the rest closes every part."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from collections_app.models import Payment, PaymentStatus
from collections_app.services import statement_match, statements_import
from deductions.models import Deduction
from invoicing.models import Invoice
from invoicing.selectors import invoice_open_items
from otc.customers.services import payment_terms_create
from otc.ledger.models import OpenItem
from otc.tenancy.context import tenant_context
from tests.collections_app.conftest import DAY, SYSTEM, customer, statement, tx
from tests.invoicing.factories import issued_invoice, line

pytestmark = pytest.mark.django_db
D = Decimal


def _import(tenant, sid, *transactions):
    result = statements_import(
        tenant=tenant,
        actor=SYSTEM,
        statements=[statement(sid, *transactions)],
        file_sha256=sid.ljust(64, "0"),
        match=False,
    )
    statement_match(tenant=tenant, statement_id=result.statements[0].pk)


def test_one_installment_paid_then_the_rest(in_tenant_a, tenant_b):
    tenant = in_tenant_a
    terms = payment_terms_create(
        tenant=tenant,
        actor=SYSTEM,
        code="3X30",
        name="3X30",
        net_days=90,
        installments=[
            {"share_percent": D(30), "net_days": 30, "kind": "net"},
            {"share_percent": D(30), "net_days": 60, "kind": "net"},
            {"share_percent": D(40), "net_days": 90, "kind": "net"},
        ],
    )
    acme = customer(tenant, "K1", "Acme Tools AG")
    invoice = issued_invoice(
        tenant,
        acme,
        [line("1000.00")],
        issue_date=DAY - timedelta(days=40),
        payment_terms=terms,
    )
    _import(tenant, "S-I1", tx("357.00", name="ACME TOOLS AG", text=invoice.number, e2e="P1"))

    payment = Payment.objects.get(end_to_end_id="P1")
    assert payment.status == PaymentStatus.APPLIED
    parts = invoice_open_items(tenant=tenant, invoice_ids=[invoice.pk])[invoice.pk]
    assert [p.open_amount for p in parts] == [D("0.00"), D("357.00"), D("476.00")]
    assert not Deduction.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).status == "partially_paid"

    _import(tenant, "S-I2", tx("833.00", name="ACME TOOLS AG", text=invoice.number, e2e="P2"))
    parts = invoice_open_items(tenant=tenant, invoice_ids=[invoice.pk])[invoice.pk]
    assert [p.open_amount for p in parts] == [D(0), D(0), D(0)]
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert not Deduction.objects.exists()
    with tenant_context(tenant_b):
        assert not OpenItem.objects.exists()
