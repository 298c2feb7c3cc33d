"""ledger_apply_many writes what the same applications one by one write,
refuses what they would refuse, all or nothing, and stays in its tenant."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from otc.audit.models import AuditEvent
from otc.errors import ConflictError
from otc.ledger.models import (
    AgingBalance,
    Application,
    ApplicationKind,
    CustomerBalance,
    ItemKind,
    ItemStatus,
    OpenItem,
    Posting,
    PostingLine,
)
from otc.ledger.services import (
    ApplyEntry,
    LedgerError,
    ledger_apply,
    ledger_apply_many,
    ledger_item_post,
)
from otc.tenancy.context import tenant_context
from tests.otc.ledger.conftest import SYSTEM, make_customer

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 5)
PAID = date(2026, 2, 5)


def _post(tenant, customer, kind, amount, currency="EUR", number=None):
    return ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=kind,
        number=number or f"{kind}-{amount}-{currency}",
        currency=currency,
        amount=Decimal(amount),
        document_date=DAY,
    )


def _book(tenant, customer, suffix):
    """Two EUR invoices, a USD invoice and a EUR payment covering part of them."""
    return (
        _post(tenant, customer, ItemKind.INVOICE, "100.00", number=f"INV-1{suffix}"),
        _post(tenant, customer, ItemKind.INVOICE, "250.50", number=f"INV-2{suffix}"),
        _post(tenant, customer, ItemKind.INVOICE, "80.00", "USD", number=f"INV-3{suffix}"),
        _post(tenant, customer, ItemKind.PAYMENT, "400.00", number=f"PAY-1{suffix}"),
    )


def _written(tenant, payment):
    """What the applications from `payment` wrote, comparable across runs."""
    applications = Application.objects.for_tenant(tenant).filter(credit_item=payment)
    lines = PostingLine.objects.for_tenant(tenant).filter(posting__application__in=applications)
    items = OpenItem.objects.for_tenant(tenant).filter(customer=payment.customer)
    return (
        sorted(
            (a.debit_item.number, a.amount, a.credit_amount, a.debit_base_amount, a.fx_gain_base)
            for a in applications
        ),
        sorted((line.account, line.currency, line.amount, line.base_amount) for line in lines),
        sorted((i.number, i.open_amount, i.open_base_amount, i.status, i.closed_on) for i in items),
        sorted(
            AuditEvent.objects.for_tenant(tenant)
            .filter(action="ledger.applied", object_id__in=[str(a.pk) for a in applications])
            .values_list("changes", flat=True),
            key=str,
        ),
    )


def _entries(invoices, payment):
    first, second, dollars = invoices
    return [
        ApplyEntry(first.pk, payment.pk, Decimal("100.00"), PAID, ApplicationKind.CASH),
        ApplyEntry(second.pk, payment.pk, Decimal("200.00"), PAID, ApplicationKind.CASH),
        ApplyEntry(second.pk, payment.pk, Decimal("20.50"), PAID, ApplicationKind.CASH),
        ApplyEntry(
            dollars.pk,
            payment.pk,
            Decimal("80.00"),
            PAID,
            ApplicationKind.CASH,
            credit_amount=Decimal("71.30"),
        ),
    ]


def test_many_writes_what_one_by_one_writes(ledger_a, tenant_b):
    tenant, customer = ledger_a
    other = make_customer(tenant, "C-200")
    *invoices, payment = _book(tenant, customer, "A")
    *same_invoices, same_payment = _book(tenant, other, "B")

    applications = ledger_apply_many(
        tenant=tenant, actor=SYSTEM, entries=_entries(invoices, payment)
    )
    for entry in _entries(same_invoices, same_payment):
        ledger_apply(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=entry.debit_item_id,
            credit_item_id=entry.credit_item_id,
            amount=entry.amount,
            credit_amount=entry.credit_amount,
            effective_date=entry.effective_date,
            kind=entry.kind,
        )

    assert len(applications) == 4
    many, one_by_one = _written(tenant, payment), _written(tenant, same_payment)
    # Same amounts, postings, open amounts and audit; only the numbers differ.
    assert [row[1:] for row in many[0]] == [row[1:] for row in one_by_one[0]]
    assert many[1] == one_by_one[1]
    assert [row[1:] for row in many[2]] == [row[1:] for row in one_by_one[2]]
    assert len(many[3]) == len(one_by_one[3]) == 4
    payment.refresh_from_db()
    assert payment.open_amount == Decimal("-8.20")
    first = OpenItem.objects.for_tenant(tenant).get(pk=invoices[0].pk)
    assert (first.open_amount, first.status, first.closed_on) == (0, ItemStatus.CLOSED, PAID)
    for posting in Posting.objects.for_tenant(tenant).filter(application__in=applications):
        assert sum(line.base_amount for line in posting.lines.all()) == 0
    with tenant_context(tenant_b):
        assert not Application.objects.for_tenant(tenant_b).exists()


def test_a_refused_entry_writes_nothing(ledger_a):
    tenant, customer = ledger_a
    *invoices, payment = _book(tenant, customer, "A")
    first = invoices[0]
    entries = [
        ApplyEntry(first.pk, payment.pk, Decimal("60.00"), PAID, ApplicationKind.CASH),
        # together with the first, more than the invoice's 100.00
        ApplyEntry(first.pk, payment.pk, Decimal("40.01"), PAID, ApplicationKind.CASH),
    ]
    with pytest.raises(ConflictError, match=r"INV-1A has 40\.00 EUR open"):
        ledger_apply_many(tenant=tenant, actor=SYSTEM, entries=entries)
    with pytest.raises(LedgerError, match="say how much"):
        ledger_apply_many(
            tenant=tenant,
            actor=SYSTEM,
            entries=[
                ApplyEntry(invoices[2].pk, payment.pk, Decimal("1"), PAID, ApplicationKind.CASH)
            ],
        )
    assert not Application.objects.for_tenant(tenant).exists()
    assert not AuditEvent.objects.for_tenant(tenant).filter(action="ledger.applied").exists()
    first.refresh_from_db()
    assert first.open_amount == Decimal("100.00")


def test_another_tenants_items_are_not_found_and_untouched(ledger_a, tenant_b):
    tenant, customer = ledger_a
    with tenant_context(tenant_b):
        foreign = make_customer(tenant_b, "C-900", currency=tenant_b.base_currency)
        foreign_invoice = _post(
            tenant_b, foreign, ItemKind.INVOICE, "50.00", tenant_b.base_currency, "INV-B"
        )
    with tenant_context(tenant):
        payment = _post(tenant, customer, ItemKind.PAYMENT, "50.00", number="PAY-A")
        with pytest.raises(LedgerError, match="does not exist"):
            ledger_apply_many(
                tenant=tenant,
                actor=SYSTEM,
                entries=[
                    ApplyEntry(
                        foreign_invoice.pk, payment.pk, Decimal("50"), PAID, ApplicationKind.CASH
                    )
                ],
            )
    with tenant_context(tenant_b):
        foreign_invoice.refresh_from_db()
        assert foreign_invoice.open_amount == Decimal(50)
        assert not Application.objects.for_tenant(tenant_b).exists()


def test_a_batch_that_closes_many_items_keeps_the_summaries_exact(ledger_a, tenant_b):
    """One UPDATE of many open amounts (the summaries' trigger removes the
    rows it empties per customer): emptied keys go, a customer's other keys
    stay, and the other tenant's summaries are untouched."""
    tenant, _ = ledger_a
    with tenant_context(tenant_b):
        other_customer = make_customer(tenant_b, "B-1", currency=tenant_b.base_currency)
        _post(tenant_b, other_customer, ItemKind.INVOICE, "70.00", tenant_b.base_currency, "INV-B")
        other = sorted(
            AgingBalance.objects.for_tenant(tenant_b).values_list("open_amount", "item_count")
        )
    with tenant_context(tenant):
        entries = []
        kept = []
        for n in range(12):
            customer = make_customer(tenant, f"C-{n}")
            paid = _post(tenant, customer, ItemKind.INVOICE, "10.00", number=f"INV-P{n}")
            # Another due date of the same customer: a key that stays open.
            kept.append(
                ledger_item_post(
                    tenant=tenant,
                    actor=SYSTEM,
                    customer=customer,
                    kind=ItemKind.INVOICE,
                    number=f"INV-K{n}",
                    currency="EUR",
                    amount=Decimal("5.00"),
                    document_date=DAY,
                    due_date=PAID,
                )
            )
            payment = _post(tenant, customer, ItemKind.PAYMENT, "10.00", number=f"PAY-{n}")
            entries.append(
                ApplyEntry(
                    debit_item_id=paid.pk,
                    credit_item_id=payment.pk,
                    amount=Decimal("10.00"),
                    effective_date=PAID,
                    kind=ApplicationKind.CASH,
                )
            )
        ledger_apply_many(tenant=tenant, actor=SYSTEM, entries=entries)
        assert not AgingBalance.objects.for_tenant(tenant).filter(item_count=0).exists()
        assert not CustomerBalance.objects.for_tenant(tenant).filter(item_count=0).exists()
        rows = {
            (row.customer_id, row.side, row.aging_date): (row.open_amount, row.item_count)
            for row in AgingBalance.objects.for_tenant(tenant)
        }
        assert rows == {(item.customer_id, "debit", PAID): (Decimal("5.00"), 1) for item in kept}
        balances = {
            (row.customer_id, row.side): row.open_amount
            for row in CustomerBalance.objects.for_tenant(tenant)
        }
        assert balances == {(item.customer_id, "debit"): Decimal("5.00") for item in kept}
    with tenant_context(tenant_b):
        assert (
            sorted(
                AgingBalance.objects.for_tenant(tenant_b).values_list("open_amount", "item_count")
            )
            == other
        )
