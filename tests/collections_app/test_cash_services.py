"""Unapply, bank returns, refunds, FX, tolerances and discounts, to the cent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from collections_app.bank_files.types import Direction
from collections_app.models import (
    CashAllocation,
    CashApplicationPolicy,
    MatchProposal,
    Payment,
    PaymentStatus,
    ProposalStatus,
)
from collections_app.services import (
    ManualLine,
    payment_allocate,
    payment_create,
    payment_refund,
    payment_unapply,
    payments_match,
    statement_match,
    statements_import,
)
from deductions.models import Deduction
from otc.customers.models import PaymentTerms
from otc.errors import IllegalTransition, ValidationFailed
from otc.fx.services import manual_rate_set
from otc.ledger.models import Application, ItemStatus, OpenItem
from otc.ledger.selectors import customer_balance
from otc.tenancy.context import tenant_context
from tests.collections_app.conftest import DAY, SYSTEM, customer, invoice, refreshed, statement, tx

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def acme(in_tenant_a):
    return customer(in_tenant_a, "K1", "Acme Tools AG")


def _import_and_match(tenant, sid, *transactions):
    result = statements_import(
        tenant=tenant,
        actor=SYSTEM,
        statements=[statement(sid, *transactions)],
        file_sha256=sid.ljust(64, "0"),
        match=False,
    )
    statement_match(tenant=tenant, statement_id=result.statements[0].pk)
    return result


def test_unapplying_an_auto_application_reopens_and_counts_as_correction(in_tenant_a, acme):
    tenant = in_tenant_a
    inv = invoice(tenant, acme, "INV-2026-000900", "900.00")
    short = invoice(tenant, acme, "INV-2026-000901", "100.00")
    _import_and_match(
        tenant,
        "S-UN",
        tx("900.00", text="INV-2026-000900", e2e="A"),
        tx("60.00", text="INV-2026-000901", e2e="B"),
    )
    payment = Payment.objects.get(end_to_end_id="A")
    assert payment.status == PaymentStatus.APPLIED
    with pytest.raises(ValidationFailed):
        payment_unapply(tenant=tenant, actor=SYSTEM, payment_id=payment.pk, reason=" ")
    payment_unapply(tenant=tenant, actor=SYSTEM, payment_id=payment.pk, reason="wrong invoice")
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.UNAPPLIED
    assert refreshed(inv).open_amount == D("900.00")
    proposal = MatchProposal.objects.get(payment=payment, auto_applied=True)
    assert (proposal.status, proposal.corrected) == (ProposalStatus.REVERSED, True)
    assert CashAllocation.objects.get(payment=payment).reversed_at is not None
    # Matching again proposes, but never re-applies what a person reversed.
    assert payments_match(tenant=tenant, payment_ids=[payment.pk])["auto_applied"] == 0
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.UNAPPLIED
    assert MatchProposal.objects.filter(payment=payment, status="proposed").exists()

    # The short payment (60 of 100, no reason) was not sure enough: it waits.
    waiting = Payment.objects.get(end_to_end_id="B")
    assert waiting.status == PaymentStatus.UNIDENTIFIED
    assert refreshed(short).open_amount == D("100.00")


def test_unapplying_a_short_payment_cancels_its_deduction(in_tenant_a, acme):
    tenant = in_tenant_a
    inv = invoice(tenant, acme, "INV-2026-000950", "1000.00")
    before = customer_balance(tenant=tenant, customer=acme)
    payment = payment_create(
        tenant=tenant,
        actor=SYSTEM,
        amount=D("700.00"),
        currency="EUR",
        value_date=DAY,
        customer=acme,
        match=False,
    )
    payment_allocate(
        tenant=tenant,
        actor=SYSTEM,
        payment_id=payment.pk,
        customer=acme,
        lines=[
            ManualLine(item_id=inv.pk, amount=D("700.00"), deduction=D("300.00"), reason="Pricing")
        ],
    )
    deduction = Deduction.objects.get(invoice_item=inv)
    assert refreshed(inv).status == ItemStatus.CLOSED
    payment_unapply(tenant=tenant, actor=SYSTEM, payment_id=payment.pk, reason="mistake")
    assert Deduction.objects.get(pk=deduction.pk).status == "cancelled"
    assert refreshed(inv).open_amount == D("1000.00")
    assert refreshed(deduction.open_item).status == ItemStatus.CLOSED
    after = customer_balance(tenant=tenant, customer=acme)
    assert after.by_currency["EUR"] == before.by_currency["EUR"] - D("700.00")


def test_bank_return_reopens_the_invoices(in_tenant_a, acme):
    tenant = in_tenant_a
    inv = invoice(tenant, acme, "INV-2026-000960", "250.00")
    _import_and_match(tenant, "S-R1", tx("250.00", text="INV-2026-000960", e2e="RET-1"))
    assert refreshed(inv).status == ItemStatus.CLOSED
    result = _import_and_match(
        tenant,
        "S-R2",
        tx("250.00", e2e="RET-1", direction=Direction.DEBIT, is_return=True, return_reason="AM04"),
        tx("99.00", direction=Direction.DEBIT, is_return=True, return_reason="MD06", e2e="NONE"),
    )
    assert result.returns_linked == 1
    payment = Payment.objects.get(end_to_end_id="RET-1")
    assert payment.status == PaymentStatus.RETURNED
    assert refreshed(inv).open_amount == D("250.00")
    assert refreshed(payment.open_item).status == ItemStatus.CLOSED  # reversed out of the ledger
    outcomes = list(result.statements[0].lines.values_list("outcome", flat=True))
    assert any("could not be linked" in outcome for outcome in outcomes)


def test_refund_only_when_nothing_is_applied(in_tenant_a, acme):
    tenant = in_tenant_a
    inv = invoice(tenant, acme, "INV-2026-000970", "50.00")
    payment = payment_create(
        tenant=tenant,
        actor=SYSTEM,
        amount=D("80.00"),
        currency="EUR",
        value_date=DAY,
        customer=acme,
        match=False,
    )
    payment_allocate(
        tenant=tenant,
        actor=SYSTEM,
        payment_id=payment.pk,
        customer=acme,
        lines=[ManualLine(item_id=inv.pk, amount=D("50.00"))],
    )
    with pytest.raises(IllegalTransition):
        payment_refund(tenant=tenant, actor=SYSTEM, payment_id=payment.pk, reason="asked")
    payment_unapply(tenant=tenant, actor=SYSTEM, payment_id=payment.pk, reason="refund instead")
    refunded = payment_refund(tenant=tenant, actor=SYSTEM, payment_id=payment.pk, reason="asked")
    assert refunded.status == PaymentStatus.REFUNDED
    assert customer_balance(tenant=tenant, customer=acme).by_currency["EUR"] == D("50.00")


def test_manual_allocation_errors_say_what_to_fix(in_tenant_a, acme, tenant_b):
    tenant = in_tenant_a
    inv = invoice(tenant, acme, "INV-2026-000980", "50.00")
    payment = payment_create(
        tenant=tenant,
        actor=SYSTEM,
        amount=D("40.00"),
        currency="EUR",
        value_date=DAY,
        customer=acme,
        match=False,
    )
    with pytest.raises(ValidationFailed) as error:
        payment_allocate(
            tenant=tenant,
            actor=SYSTEM,
            payment_id=payment.pk,
            customer=acme,
            lines=[ManualLine(item_id=inv.pk, amount=D("45.00"))],
        )
    assert "reduce them by 5.00" in error.value.errors["lines"][0]
    with pytest.raises(ValidationFailed) as error:
        payment_allocate(
            tenant=tenant,
            actor=SYSTEM,
            payment_id=payment.pk,
            customer=acme,
            lines=[ManualLine(item_id=inv.pk, amount=D("60.00"))],
        )
    assert "allocate at most that" in error.value.errors["lines[0].amount"][0]
    assert refreshed(inv).open_amount == D("50.00")


def test_fx_payment_posts_realised_difference(in_tenant_a, acme):
    tenant = in_tenant_a
    for day, rate in ((DAY - timedelta(days=30), "0.90"), (DAY, "0.92")):
        manual_rate_set(
            tenant=tenant,
            actor=SYSTEM,
            rate_date=day,
            from_currency="USD",
            to_currency="EUR",
            rate=D(rate),
        )
    inv = invoice(tenant, acme, "INV-2026-000990", "1000.00", currency="USD")
    _import_and_match(tenant, "S-FX", tx("921.00", text="INV-2026-000990", e2e="FX"))
    payment = Payment.objects.get(end_to_end_id="FX")
    assert payment.status == PaymentStatus.APPLIED
    application = Application.objects.get(debit_item=inv, kind="cash")
    assert (application.amount, application.credit_amount) == (D("1000.00"), D("921.00"))
    # Invoice booked at 900.00 EUR, paid 921.00 EUR: a 21.00 realised gain.
    assert application.fx_gain_base == D("21.00")
    assert refreshed(inv).status == ItemStatus.CLOSED


def test_discount_and_tolerance_write_offs(in_tenant_a):
    tenant = in_tenant_a
    terms = PaymentTerms.objects.create(
        tenant=tenant,
        code="2/10N30",
        name="2/10 net 30",
        net_days=30,
        discount_percent=D("2"),
        discount_days=10,
    )
    bolt = customer(tenant, "K2", "Bolt & Nut GmbH")
    bolt.payment_terms = terms
    bolt.save()
    early = invoice(tenant, bolt, "INV-2026-000995", "1000.00", days_old=8)
    near = invoice(tenant, bolt, "INV-2026-000996", "400.00")
    # Tolerance: the smaller of 3.00 and 1% of the invoice (4.00).
    CashApplicationPolicy.objects.create(
        tenant=tenant, tolerance_amount=D("3.00"), tolerance_percent=D("1.00")
    )
    _import_and_match(
        tenant,
        "S-DT",
        tx("980.00", text="INV-2026-000995", e2e="DISC"),
        tx("397.50", text="INV-2026-000996", e2e="TOL"),
    )
    assert refreshed(early).status == ItemStatus.CLOSED
    assert refreshed(near).status == ItemStatus.CLOSED
    kinds = dict(CashAllocation.objects.exclude(kind="cash").values_list("kind", "amount"))
    assert kinds == {"discount": D("20.0000"), "write_off": D("2.5000")}


def test_matching_twice_applies_nothing_twice(in_tenant_a, acme):
    tenant = in_tenant_a
    invoice(tenant, acme, "INV-2026-000999", "10.00")
    result = _import_and_match(tenant, "S-TWICE", tx("10.00", text="INV-2026-000999", e2e="T"))
    again = statement_match(tenant=tenant, statement_id=result.statements[0].pk)
    assert again["auto_applied"] == 0
    payment = Payment.objects.get(end_to_end_id="T")
    assert payments_match(tenant=tenant, payment_ids=[payment.pk])["auto_applied"] == 0
    assert CashAllocation.objects.filter(payment=payment).count() == 1


def test_other_tenant_cannot_touch_payments(in_tenant_a, acme, tenant_b):
    tenant = in_tenant_a
    payment = payment_create(
        tenant=tenant,
        actor=SYSTEM,
        amount=D("5.00"),
        currency="EUR",
        value_date=DAY,
        customer=acme,
        match=False,
    )
    with tenant_context(tenant_b):
        from otc.errors import NotFound

        with pytest.raises(NotFound):
            payment_refund(tenant=tenant_b, actor=SYSTEM, payment_id=payment.pk, reason="x")
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.UNAPPLIED
    assert OpenItem.objects.get(pk=payment.open_item_id).open_amount == D("-5.00")
