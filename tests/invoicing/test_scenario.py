"""The walk an AR team does, to the cent: a USD invoice for a EUR tenant,
a partial payment at another rate, a credit memo, the rest paid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicing.services import (
    credit_memo_create,
    invoice_refresh_payment_status,
    invoices_refresh_for_items,
)
from otc.ledger.models import Application, ApplicationKind, ItemKind, OpenItem
from otc.ledger.selectors import customer_balance
from otc.ledger.services import ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from tests.invoicing.conftest import FEB, JAN
from tests.invoicing.factories import SYSTEM, issued_invoice, line

pytestmark = pytest.mark.django_db
D = Decimal


def receive_and_apply(tenant, invoice, amount, day):
    payment = ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=invoice.customer,
        kind=ItemKind.PAYMENT,
        number=f"PAY-{amount}",
        currency="USD",
        amount=D(amount),
        document_date=day,
    )
    application = ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.open_item_id,
        credit_item_id=payment.pk,
        amount=D(amount),
        effective_date=day,
        kind=ApplicationKind.CASH,
    )
    return payment, application, invoice_refresh_payment_status(tenant=tenant, invoice=invoice)


def test_usd_invoice_partial_payment_credit_memo_paid(tenant_a, actor, customer_a, usd_rates_a):
    with tenant_context(tenant_a):
        # USD 1,000.00 + 19 % = 1,190.00 at 0.90 on 5 Jan: EUR 1,071.00.
        invoice = issued_invoice(
            tenant_a, customer_a, [line("1000.00")], issue_date=JAN, currency="USD"
        )
        assert (invoice.gross_amount, invoice.fx_rate, invoice.base_gross_amount) == (
            D("1190.00"),
            D("0.9"),
            D("1071.00"),
        )

        # USD 500.00 paid on 5 Feb at 0.85: EUR 425.00 received for EUR 450.00 owed.
        payment, cash, invoice = receive_and_apply(tenant_a, invoice, "500.00", FEB)
        assert invoice.status == "partially_paid"
        assert payment.base_amount == D("-425.00")
        assert (cash.debit_base_amount, cash.credit_base_amount, cash.fx_gain_base) == (
            D("450.00"),
            D("425.00"),
            D("-25.00"),
        )
        owed = OpenItem.objects.get(pk=invoice.open_item_id)
        assert (owed.open_amount, owed.open_base_amount) == (D("690.00"), D("621.00"))

        # Credit memo USD 100.00 + 19 % = 119.00 on 5 Feb. It corrects the
        # January invoice, so it takes that invoice's rate 0.90 (not 0.85 of
        # its own date): it takes off exactly the EUR 107.10 the invoice put
        # on, and a correction realises no FX difference.
        memo = credit_memo_create(
            tenant=tenant_a,
            actor=actor,
            related_invoice=invoice,
            lines=[line("100.00")],
            issue_date=FEB,
        )
        assert (memo.gross_amount, memo.fx_rate, memo.base_gross_amount) == (
            D("119.00"),
            D("0.9"),
            D("107.10"),
        )
        memo_use = Application.objects.get(credit_item_id=memo.open_item_id)
        assert (memo_use.amount, memo_use.debit_base_amount, memo_use.credit_base_amount) == (
            D("119.00"),
            D("107.10"),
            D("107.10"),
        )
        assert memo_use.fx_gain_base == D("0.00")
        invoice.refresh_from_db()
        assert invoice.status == "partially_paid"
        owed.refresh_from_db()
        assert (owed.open_amount, owed.open_base_amount) == (D("571.00"), D("513.90"))

        # The rest, USD 571.00 at 0.85 = EUR 485.35, closes the invoice; the
        # last application takes exactly the EUR 513.90 still open.
        _, last, invoice = receive_and_apply(tenant_a, invoice, "571.00", FEB)
        assert (last.debit_base_amount, last.credit_base_amount, last.fx_gain_base) == (
            D("513.90"),
            D("485.35"),
            D("-28.55"),
        )
        assert invoice.status == "paid"
        owed.refresh_from_db()
        assert (owed.open_amount, owed.open_base_amount, owed.status) == (
            D("0"),
            D("0"),
            "closed",
        )
        memo.refresh_from_db()
        assert memo.status == "paid"

        # Realised loss on the cash only: USD 1,071.00 paid at 0.85 (EUR
        # 910.35) for what was booked at 0.90 (EUR 963.90).
        losses = sum(
            Application.objects.filter(debit_item_id=owed.pk).values_list(
                "fx_gain_base", flat=True
            ),
            D(0),
        )
        assert losses == D("-53.55") == D("910.35") - D("963.90")
        balance = customer_balance(tenant=tenant_a, customer=customer_a)
    assert balance.by_currency == {}
    assert balance.base == D(0)


def test_refresh_for_items_moves_only_the_documents_behind_those_items(
    tenant_a, actor, customer_a, usd_rates_a
):
    with tenant_context(tenant_a):
        paid = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
        untouched = issued_invoice(tenant_a, customer_a, [line("50.00")], issue_date=JAN)
        payment = ledger_item_post(
            tenant=tenant_a,
            actor=SYSTEM,
            customer=customer_a,
            kind=ItemKind.PAYMENT,
            number="PAY-1",
            currency="EUR",
            amount=D("119.00"),
            document_date=FEB,
        )
        ledger_apply(
            tenant=tenant_a,
            actor=SYSTEM,
            debit_item_id=paid.open_item_id,
            credit_item_id=payment.pk,
            amount=D("119.00"),
            effective_date=FEB,
            kind=ApplicationKind.CASH,
        )

        refreshed = invoices_refresh_for_items(
            tenant=tenant_a, open_item_ids=[paid.open_item_id, payment.pk]
        )

        assert [(invoice.pk, invoice.status) for invoice in refreshed] == [(paid.pk, "paid")]
        untouched.refresh_from_db()
        assert untouched.status == "issued"
