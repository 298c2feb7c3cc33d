"""The ledger walked through the flows AR teams run, to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError, ProgrammingError

from otc.errors import ConflictError
from otc.ledger.models import ApplicationKind, ItemKind, ItemStatus, OpenItem, PostingLine
from otc.ledger.selectors import aging_by_customer, customer_balance, open_items_as_of
from otc.ledger.services import (
    LedgerError,
    ledger_application_reverse,
    ledger_apply,
    ledger_item_post,
    ledger_item_reverse,
    ledger_write_off,
)
from otc.tenancy.context import tenant_context
from tests.otc.ledger.conftest import SYSTEM, make_customer

pytestmark = pytest.mark.django_db


def post(
    tenant, customer, kind, amount, currency="EUR", day=date(2026, 1, 5), *, due=None, number=None
):
    return ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=kind,
        number=number or f"{kind}-{amount}-{day}",
        currency=currency,
        amount=Decimal(amount),
        document_date=day,
        due_date=due,
    )


def test_usd_invoice_partial_payment_credit_memo_paid(ledger_a):
    """EUR tenant invoices USD 1,000.00 at 0.90, is paid USD 400.00 at 0.85,
    credits USD 100.00 at 0.85, and is paid the last USD 500.00 at 0.85."""
    tenant, customer = ledger_a
    jan, feb = date(2026, 1, 5), date(2026, 2, 5)
    invoice = post(
        tenant,
        customer,
        ItemKind.INVOICE,
        "1000.00",
        "USD",
        jan,
        due=date(2026, 2, 4),
        number="INV-1",
    )
    assert (invoice.base_amount, invoice.open_base_amount) == (Decimal("900.00"), Decimal("900.00"))

    payment = post(tenant, customer, ItemKind.PAYMENT, "400.00", "USD", feb, number="PAY-1")
    assert payment.base_amount == Decimal("-340.00")
    cash = ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        credit_item_id=payment.pk,
        amount=Decimal("400.00"),
        effective_date=feb,
        kind=ApplicationKind.CASH,
    )
    assert (cash.debit_base_amount, cash.credit_base_amount) == (
        Decimal("360.00"),
        Decimal("340.00"),
    )
    assert cash.fx_gain_base == Decimal("-20.00")  # realised loss: the dollar fell

    memo = post(tenant, customer, ItemKind.CREDIT_MEMO, "100.00", "USD", feb, number="CM-1")
    credit = ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        credit_item_id=memo.pk,
        amount=Decimal("100.00"),
        effective_date=feb,
        kind=ApplicationKind.CREDIT_MEMO,
    )
    assert credit.fx_gain_base == Decimal("-5.00")

    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.open_base_amount) == (Decimal("500.00"), Decimal("450.00"))
    assert invoice.status == ItemStatus.OPEN

    last = post(tenant, customer, ItemKind.PAYMENT, "500.00", "USD", feb, number="PAY-2")
    final = ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        credit_item_id=last.pk,
        amount=Decimal("500.00"),
        effective_date=feb,
        kind=ApplicationKind.CASH,
    )
    assert (final.debit_base_amount, final.credit_base_amount) == (
        Decimal("450.00"),
        Decimal("425.00"),
    )
    assert final.fx_gain_base == Decimal("-25.00")

    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.open_base_amount, invoice.status) == (
        Decimal("0"),
        Decimal("0"),
        ItemStatus.CLOSED,
    )
    assert invoice.closed_on == feb
    balance = customer_balance(tenant=tenant, customer=customer)
    assert balance.by_currency == {}
    assert balance.base == Decimal("0")
    # Every posting balanced; the FX account holds the realised loss.
    fx_lines = PostingLine.objects.filter(account="fx_gain_loss")
    assert sum(line.base_amount for line in fx_lines) == Decimal("50.00")


def test_rounding_closes_to_the_cent_in_base(ledger_a):
    """Three thirds of USD 100.00 at 0.90: the last application takes exactly
    what is left in base, so nothing lingers from rounding."""
    tenant, customer = ledger_a
    invoice = post(tenant, customer, ItemKind.INVOICE, "100.00", "USD")
    for index, amount in enumerate(("33.33", "33.33", "33.34")):
        pay = post(tenant, customer, ItemKind.PAYMENT, amount, "USD", number=f"P{index}")
        ledger_apply(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=invoice.pk,
            credit_item_id=pay.pk,
            amount=Decimal(amount),
            effective_date=date(2026, 1, 5),
            kind=ApplicationKind.CASH,
        )
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.open_base_amount) == (Decimal(0), Decimal(0))


def test_over_application_is_refused(ledger_a):
    tenant, customer = ledger_a
    invoice = post(tenant, customer, ItemKind.INVOICE, "100.00")
    payment = post(tenant, customer, ItemKind.PAYMENT, "150.00")
    with pytest.raises(ConflictError, match=r"has 100\.00 EUR open"):
        ledger_apply(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=invoice.pk,
            credit_item_id=payment.pk,
            amount=Decimal("100.01"),
            effective_date=date(2026, 1, 5),
            kind=ApplicationKind.CASH,
        )
    ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        credit_item_id=payment.pk,
        amount=Decimal("100.00"),
        effective_date=date(2026, 1, 5),
        kind=ApplicationKind.CASH,
    )
    payment.refresh_from_db()
    assert payment.open_amount == Decimal("-50.00")  # overpayment stays on account
    balance = customer_balance(tenant=tenant, customer=customer)
    assert balance.by_currency == {"EUR": Decimal("-50.00")}


def test_wrong_pairings_are_refused(ledger_a, tenant_a):
    tenant, customer = ledger_a
    other = make_customer(tenant, "C-200")
    invoice = post(tenant, customer, ItemKind.INVOICE, "100.00")
    other_payment = post(tenant, other, ItemKind.PAYMENT, "100.00")
    usd_payment = post(tenant, customer, ItemKind.PAYMENT, "100.00", "USD")
    kwargs = {
        "tenant": tenant,
        "actor": SYSTEM,
        "effective_date": date(2026, 1, 5),
        "kind": ApplicationKind.CASH,
        "amount": Decimal("10"),
    }
    with pytest.raises(LedgerError, match="same customer"):
        ledger_apply(debit_item_id=invoice.pk, credit_item_id=other_payment.pk, **kwargs)
    with pytest.raises(LedgerError, match="say how much"):
        ledger_apply(debit_item_id=invoice.pk, credit_item_id=usd_payment.pk, **kwargs)
    with pytest.raises(LedgerError, match="Apply a credit item"):
        ledger_apply(debit_item_id=other_payment.pk, credit_item_id=invoice.pk, **kwargs)


def test_cross_currency_application(ledger_a):
    """A USD payment settles a EUR invoice: the caller states both amounts."""
    tenant, customer = ledger_a
    invoice = post(tenant, customer, ItemKind.INVOICE, "85.00", "EUR", date(2026, 2, 5))
    payment = post(tenant, customer, ItemKind.PAYMENT, "100.00", "USD", date(2026, 2, 5))
    application = ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        credit_item_id=payment.pk,
        amount=Decimal("85.00"),
        credit_amount=Decimal("100.00"),
        effective_date=date(2026, 2, 5),
        kind=ApplicationKind.CASH,
    )
    assert application.fx_gain_base == Decimal("0.00")
    payment.refresh_from_db()
    assert payment.status == ItemStatus.CLOSED


def test_reverse_application_reopens_both_items(ledger_a):
    tenant, customer = ledger_a
    invoice = post(tenant, customer, ItemKind.INVOICE, "1000.00", "USD")
    payment = post(tenant, customer, ItemKind.PAYMENT, "1000.00", "USD", date(2026, 2, 5))
    application = ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.pk,
        credit_item_id=payment.pk,
        amount=Decimal("1000.00"),
        effective_date=date(2026, 2, 5),
        kind=ApplicationKind.CASH,
    )
    reversal = ledger_application_reverse(
        tenant=tenant,
        actor=SYSTEM,
        application_id=application.pk,
        effective_date=date(2026, 2, 6),
        reason="applied to the wrong customer",
    )
    assert reversal.fx_gain_base == Decimal("50.00")
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice.open_amount, invoice.open_base_amount, invoice.status) == (
        Decimal("1000.00"),
        Decimal("900.00"),
        ItemStatus.OPEN,
    )
    assert (payment.open_amount, payment.open_base_amount) == (
        Decimal("-1000.00"),
        Decimal("-850.00"),
    )
    with pytest.raises(ConflictError, match="already reversed"):
        ledger_application_reverse(
            tenant=tenant,
            actor=SYSTEM,
            application_id=application.pk,
            effective_date=date(2026, 2, 6),
            reason="again",
        )
    assert sum(line.base_amount for line in PostingLine.objects.filter(account="fx_gain_loss")) == 0


def test_reverse_item_and_write_off(ledger_a):
    tenant, customer = ledger_a
    wrong = post(tenant, customer, ItemKind.INVOICE, "250.00", number="INV-WRONG")
    counter = ledger_item_reverse(
        tenant=tenant,
        actor=SYSTEM,
        item_id=wrong.pk,
        effective_date=date(2026, 1, 6),
        reason="duplicate",
    )
    wrong.refresh_from_db()
    counter.refresh_from_db()
    assert wrong.status == counter.status == ItemStatus.CLOSED
    assert counter.amount == Decimal("-250.00")
    with pytest.raises(ConflictError):
        ledger_item_reverse(
            tenant=tenant,
            actor=SYSTEM,
            item_id=wrong.pk,
            effective_date=date(2026, 1, 6),
            reason="again",
        )

    small = post(tenant, customer, ItemKind.INVOICE, "100.00", number="INV-SMALL")
    ledger_write_off(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=small.pk,
        amount=Decimal("0.99"),
        effective_date=date(2026, 1, 7),
        reason="small balance",
    )
    small.refresh_from_db()
    assert small.open_amount == Decimal("99.01")
    expense = PostingLine.objects.filter(account="write_off_expense")
    assert sum(line.base_amount for line in expense) == Decimal("0.99")
    assert customer_balance(tenant=tenant, customer=customer).base == Decimal("99.01")


def test_posted_rows_cannot_be_changed(ledger_a):
    tenant, customer = ledger_a
    invoice = post(tenant, customer, ItemKind.INVOICE, "100.00")
    with pytest.raises(ProgrammingError, match="only open amounts and status"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE ledger_openitem SET amount = 1 WHERE id = %s", [invoice.pk])
    with pytest.raises(ProgrammingError, match="permission denied"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE ledger_postingline SET base_amount = 0")
    with pytest.raises(ProgrammingError, match="permission denied"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_posting")


def test_unbalanced_posting_is_refused_by_the_database(ledger_a):
    tenant, customer = ledger_a
    invoice = post(tenant, customer, ItemKind.INVOICE, "100.00")
    posting_id = invoice.posting_lines.first().posting_id
    # The deferred check fires at commit; SET CONSTRAINTS makes it fire here.
    with pytest.raises(IntegrityError, match="does not balance"):  # noqa: PT012
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_postingline (tenant_id, posting_id, account, customer_id, "
                "currency, amount, base_amount) VALUES (%s, %s, 'receivable', %s, 'EUR', 1, 1)",
                [tenant.pk, posting_id, customer.pk],
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_aging_buckets_and_history_as_of(ledger_a):
    tenant, customer = ledger_a
    d = date(2026, 3, 31)
    post(tenant, customer, ItemKind.INVOICE, "100.00", due=date(2026, 4, 10), number="A")  # current
    post(tenant, customer, ItemKind.INVOICE, "200.00", due=date(2026, 3, 1), number="B")  # 30 days
    post(tenant, customer, ItemKind.INVOICE, "300.00", due=date(2026, 1, 30), number="C")  # 60 days
    post(
        tenant, customer, ItemKind.INVOICE, "400.00", due=date(2025, 11, 1), number="D"
    )  # 150 days
    post(tenant, customer, ItemKind.PAYMENT, "50.00", number="P")
    aging = aging_by_customer(tenant=tenant, as_of=d)
    (row,) = aging.rows
    assert [b.label for b in aging.buckets] == [
        "Current",
        "1-30",
        "31-60",
        "61-90",
        "91-120",
        "120+",
    ]
    assert row.buckets == [
        Decimal("100.00"),
        Decimal("200.00"),
        Decimal("300.00"),
        0,
        0,
        Decimal("400.00"),
    ]
    assert row.unapplied == Decimal("-50.00")
    assert row.total == Decimal("950.00")


def test_other_tenant_sees_nothing(ledger_a, tenant_b):
    tenant, customer = ledger_a
    invoice = post(tenant, customer, ItemKind.INVOICE, "100.00")
    with tenant_context(tenant_b):
        assert OpenItem.objects.count() == 0
        assert aging_by_customer(tenant=tenant_b).rows == []
        assert list(open_items_as_of(tenant=tenant_b, as_of=date(2026, 12, 31))) == []
        with pytest.raises(LedgerError, match="does not exist"):
            ledger_write_off(
                tenant=tenant_b,
                actor=SYSTEM,
                debit_item_id=invoice.pk,
                amount=Decimal("1"),
                effective_date=date(2026, 1, 5),
                reason="x",
            )
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("100.00")


def test_a_back_dated_payment_closes_the_invoice_on_its_latest_application(ledger_a, tenant_b):
    """Paid 40.00 on 20 Jan, then the rest by a payment applied as of 10 Jan
    (a bank file booked late): the invoice is settled from 20 Jan on, when
    its applications add up, and the ledger's history says the same."""
    tenant, customer = ledger_a
    with tenant_context(tenant_b):
        other = make_customer(tenant_b, "B-1", currency="USD")
        other_invoice = post(tenant_b, other, ItemKind.INVOICE, "100.00", "USD", number="INV-B")
    jan10, jan20 = date(2026, 1, 10), date(2026, 1, 20)
    invoice = post(tenant, customer, ItemKind.INVOICE, "100.00", number="INV-1")
    for number, amount, day in (("PAY-1", "40.00", jan20), ("PAY-2", "60.00", jan10)):
        payment = post(tenant, customer, ItemKind.PAYMENT, amount, number=number, day=day)
        ledger_apply(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=invoice.pk,
            credit_item_id=payment.pk,
            amount=Decimal(amount),
            effective_date=day,
            kind=ApplicationKind.CASH,
        )
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status, invoice.closed_on) == (0, ItemStatus.CLOSED, jan20)
    # The back-dated payment itself is used up on the day it was applied as of.
    payment = OpenItem.objects.for_tenant(tenant).get(number="PAY-2")
    assert (payment.status, payment.closed_on) == (ItemStatus.CLOSED, jan10)

    def open_on(day):
        with tenant_context(tenant):
            items = open_items_as_of(tenant=tenant, as_of=day, customer=customer)
            return {item.number: item.open_as_of for item in items if item.open_as_of}

    assert open_on(jan10)["INV-1"] == Decimal("40.00")  # PAY-1 was still to come
    assert "INV-1" not in open_on(jan20)
    with tenant_context(tenant_b):
        other_invoice.refresh_from_db()
    assert (other_invoice.open_amount, other_invoice.closed_on) == (Decimal("100.00"), None)
