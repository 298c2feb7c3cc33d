"""A short-paid rest moved from the invoice to a deduction item."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from otc.errors import ConflictError
from otc.ledger.models import (
    Application,
    ApplicationKind,
    ItemKind,
    ItemStatus,
    OpenItem,
    PostingLine,
)
from otc.ledger.selectors import customer_balance
from otc.ledger.services import ledger_apply, ledger_item_post, ledger_transfer_to_deduction
from otc.tenancy.context import tenant_context
from tests.otc.ledger.conftest import SYSTEM, make_customer

pytestmark = pytest.mark.django_db

JAN, FEB = date(2026, 1, 5), date(2026, 2, 5)


def _post(tenant, customer, kind, amount, currency, day, number):
    return ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=kind,
        number=number,
        currency=currency,
        amount=Decimal(amount),
        document_date=day,
        due_date=day,
    )


def test_short_paid_usd_invoice_rest_becomes_deduction_balance_unchanged(ledger_a):
    tenant, customer = ledger_a
    invoice = _post(tenant, customer, ItemKind.INVOICE, "1000.01", "USD", JAN, "INV-7")
    payment = _post(tenant, customer, ItemKind.PAYMENT, "899.98", "USD", FEB, "PAY-7")
    ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        credit_item_id=payment.pk,
        amount=Decimal("899.98"),
        effective_date=FEB,
        kind=ApplicationKind.CASH,
    )
    before = customer_balance(tenant=tenant, customer=customer)

    deduction = ledger_transfer_to_deduction(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        amount=Decimal("100.03"),
        effective_date=FEB,
        number="DED-INV-7",
        reason="Damaged goods",
    )

    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.open_base_amount, invoice.status) == (
        Decimal("0"),
        Decimal("0"),
        ItemStatus.CLOSED,
    )
    assert deduction.kind == ItemKind.DEDUCTION
    assert (deduction.amount, deduction.open_amount, deduction.currency) == (
        Decimal("100.03"),
        Decimal("100.03"),
        "USD",
    )
    after = customer_balance(tenant=tenant, customer=customer)
    assert after.by_currency == before.by_currency
    assert after.base == before.base  # to the cent in EUR as well
    # Every posting balances; receivable lines add up to the balance.
    for row in PostingLine.objects.values("posting").annotate(s=Sum("base_amount")):
        assert row["s"] == 0
    receivable = PostingLine.objects.filter(customer=customer, account="receivable")
    assert receivable.aggregate(s=Sum("base_amount"))["s"] == after.base
    # The settlement is recorded as a deduction application.
    application = Application.objects.get(debit_item=invoice, kind=ApplicationKind.DEDUCTION)
    assert application.amount == Decimal("100.03")
    assert application.fx_gain_base == 0


def test_deduction_larger_than_open_is_refused_and_nothing_posted(ledger_a, tenant_b):
    tenant, customer = ledger_a
    invoice = _post(tenant, customer, ItemKind.INVOICE, "50.00", "EUR", JAN, "INV-8")
    with tenant_context(tenant_b):
        other = make_customer(tenant_b, "B-1")
        other_invoice = _post(tenant_b, other, ItemKind.INVOICE, "50.00", "USD", JAN, "INV-8")
    count = OpenItem.objects.for_tenant(tenant).count()
    with pytest.raises(ConflictError):
        ledger_transfer_to_deduction(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=invoice.pk,
            amount=Decimal("50.01"),
            effective_date=FEB,
            number="DED-INV-8",
            reason="too much",
        )
    assert OpenItem.objects.for_tenant(tenant).count() == count
    with pytest.raises(Exception, match="does not exist"):
        ledger_transfer_to_deduction(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=other_invoice.pk,
            amount=Decimal("1.00"),
            effective_date=FEB,
            number="DED-X",
            reason="other tenant",
        )
    with tenant_context(tenant_b):
        other_invoice.refresh_from_db()
        assert other_invoice.open_amount == Decimal("50.00")


def test_undo_puts_the_amount_back_on_the_invoice(ledger_a):
    from otc.ledger.services import ledger_transfer_to_deduction_reverse

    tenant, customer = ledger_a
    invoice = _post(tenant, customer, ItemKind.INVOICE, "300.00", "USD", JAN, "INV-9")
    before = customer_balance(tenant=tenant, customer=customer)
    deduction = ledger_transfer_to_deduction(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        amount=Decimal("120.00"),
        effective_date=FEB,
        number="DED-INV-9",
        reason="Pricing",
    )
    ledger_transfer_to_deduction_reverse(
        tenant=tenant,
        actor=SYSTEM,
        deduction_item_id=deduction.pk,
        effective_date=FEB,
        reason="applied in error",
    )
    invoice.refresh_from_db()
    deduction.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("300.00"), ItemStatus.OPEN)
    assert (deduction.open_amount, deduction.status) == (Decimal("0"), ItemStatus.CLOSED)
    after = customer_balance(tenant=tenant, customer=customer)
    assert (after.by_currency, after.base) == (before.by_currency, before.base)
    assert not OpenItem.objects.filter(customer=customer, status="open").exclude(pk=invoice.pk)


def test_many_transfers_post_as_one_by_one_would_and_see_each_other(ledger_a, tenant_b):
    from otc.ledger.services import DeductionTransfer, ledger_transfers_to_deduction_many

    tenant, customer = ledger_a
    first = _post(tenant, customer, ItemKind.INVOICE, "300.00", "USD", JAN, "INV-10")
    second = _post(tenant, customer, ItemKind.INVOICE, "80.00", "EUR", JAN, "INV-11")
    with tenant_context(tenant_b):
        other = make_customer(tenant_b, "B-1")
        other_invoice = _post(tenant_b, other, ItemKind.INVOICE, "80.00", "USD", JAN, "INV-11")
    before = customer_balance(tenant=tenant, customer=customer)

    def transfer(item, amount, number):
        return DeductionTransfer(
            debit_item_id=item.pk,
            amount=Decimal(amount),
            effective_date=FEB,
            number=number,
            reason="short",
        )

    made = ledger_transfers_to_deduction_many(
        tenant=tenant,
        actor=SYSTEM,
        entries=[
            transfer(first, "100.00", "DED-A"),
            transfer(second, "80.00", "DED-B"),
            transfer(first, "200.00", "DED-C"),  # the rest the first transfer left open
        ],
    )

    assert [(d.number, d.amount, d.kind) for d in made] == [
        ("DED-A", Decimal("100.00"), ItemKind.DEDUCTION),
        ("DED-B", Decimal("80.00"), ItemKind.DEDUCTION),
        ("DED-C", Decimal("200.00"), ItemKind.DEDUCTION),
    ]
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert (invoice.open_amount, invoice.open_base_amount, invoice.status) == (
            Decimal("0"),
            Decimal("0"),
            ItemStatus.CLOSED,
        )
    counters = OpenItem.objects.filter(customer=customer, kind=ItemKind.REVERSAL)
    assert counters.count() == 3
    assert set(counters.values_list("status", flat=True)) == {ItemStatus.CLOSED}
    after = customer_balance(tenant=tenant, customer=customer)
    assert (after.by_currency, after.base) == (before.by_currency, before.base)
    for row in PostingLine.objects.values("posting").annotate(s=Sum("base_amount")):
        assert row["s"] == 0
    assert Application.objects.filter(kind=ApplicationKind.DEDUCTION).count() == 3

    # All or nothing: the second entry asks for more than is open.
    third = _post(tenant, customer, ItemKind.INVOICE, "10.00", "EUR", JAN, "INV-12")
    count = OpenItem.objects.for_tenant(tenant).count()
    with pytest.raises(ConflictError, match=r"INV-12 has 5\.00 EUR open"):
        ledger_transfers_to_deduction_many(
            tenant=tenant,
            actor=SYSTEM,
            entries=[transfer(third, "5.00", "DED-D"), transfer(third, "5.01", "DED-E")],
        )
    assert OpenItem.objects.for_tenant(tenant).count() == count
    third.refresh_from_db()
    assert third.open_amount == Decimal("10.00")
    with tenant_context(tenant_b):
        other_invoice.refresh_from_db()
        assert (other_invoice.open_amount, other_invoice.status) == (
            Decimal("80.00"),
            ItemStatus.OPEN,
        )


def test_a_back_dated_deduction_closes_the_invoice_on_its_latest_application(ledger_a):
    """Paid 60.00 on 20 Jan; the short-paid 40.00 is moved to a deduction as
    of 10 Jan: the invoice is settled from 20 Jan on, the deduction open."""
    tenant, customer = ledger_a
    jan10, jan20 = date(2026, 1, 10), date(2026, 1, 20)
    invoice = _post(tenant, customer, ItemKind.INVOICE, "100.00", "EUR", JAN, "INV-8")
    payment = _post(tenant, customer, ItemKind.PAYMENT, "60.00", "EUR", jan20, "PAY-8")
    ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        credit_item_id=payment.pk,
        amount=Decimal("60.00"),
        effective_date=jan20,
        kind=ApplicationKind.CASH,
    )
    deduction = ledger_transfer_to_deduction(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        amount=Decimal("40.00"),
        effective_date=jan10,
        number="DED-INV-8",
        reason="Short paid",
    )
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status, invoice.closed_on) == (0, ItemStatus.CLOSED, jan20)
    assert (deduction.open_amount, deduction.status, deduction.closed_on) == (
        Decimal("40.00"),
        ItemStatus.OPEN,
        None,
    )
