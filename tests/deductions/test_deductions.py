"""Deductions opened from short payments: the ledger transfer, the link to
invoice and payment, the transition table, and tenant isolation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from deductions.models import Deduction, DeductionStatus
from deductions.services import TRANSITIONS, deduction_cancel, deduction_open_for_short_payment
from otc.errors import IllegalTransition, ValidationFailed
from otc.ledger.models import ItemKind, ItemStatus
from otc.ledger.selectors import customer_balance
from otc.tenancy.context import tenant_context
from tests.collections_app.conftest import DAY, SYSTEM, customer, invoice, refreshed

pytestmark = pytest.mark.django_db
D = Decimal


def test_open_moves_the_rest_and_cancel_undoes_it(in_tenant_a, tenant_b):
    tenant = in_tenant_a
    acme = customer(tenant, "K1", "Acme Tools AG")
    inv = invoice(tenant, acme, "INV-2026-000010", "100.00")
    before = customer_balance(tenant=tenant, customer=acme)
    deduction = deduction_open_for_short_payment(
        tenant=tenant,
        actor=SYSTEM,
        customer=acme,
        invoice_item_id=inv.pk,
        payment_item_id=None,
        amount=D("30.00"),
        currency="EUR",
        reason_code="QT",
        reason_text="QT short delivery",
        effective_date=DAY,
    )
    assert (deduction.status, deduction.amount, deduction.reason_code) == ("new", D("30.00"), "QT")
    assert deduction.open_item.kind == ItemKind.DEDUCTION
    assert refreshed(inv).open_amount == D("70.00")
    assert customer_balance(tenant=tenant, customer=acme).base == before.base
    deduction_cancel(
        tenant=tenant, actor=SYSTEM, deduction_id=deduction.pk, reason="applied in error"
    )
    assert Deduction.objects.get(pk=deduction.pk).status == DeductionStatus.CANCELLED
    assert refreshed(inv).open_amount == D("100.00")
    assert refreshed(deduction.open_item).status == ItemStatus.CLOSED
    with pytest.raises(IllegalTransition):
        deduction_cancel(tenant=tenant, actor=SYSTEM, deduction_id=deduction.pk, reason="again")
    with tenant_context(tenant_b):
        assert not Deduction.objects.exists()


def test_wrong_currency_is_refused_and_nothing_posted(in_tenant_a):
    tenant = in_tenant_a
    acme = customer(tenant, "K1", "Acme Tools AG")
    inv = invoice(tenant, acme, "INV-2026-000011", "100.00")
    with pytest.raises(ValidationFailed):
        deduction_open_for_short_payment(
            tenant=tenant,
            actor=SYSTEM,
            customer=acme,
            invoice_item_id=inv.pk,
            payment_item_id=None,
            amount=D("10.00"),
            currency="USD",
        )
    assert refreshed(inv).open_amount == D("100.00")
    assert not Deduction.objects.exists()


def test_transition_table_starts_at_new_and_ends_in_final_states():
    assert DeductionStatus.CANCELLED in TRANSITIONS[DeductionStatus.NEW]
    assert TRANSITIONS[DeductionStatus.RESOLVED] == frozenset()
    assert TRANSITIONS[DeductionStatus.CANCELLED] == frozenset()
