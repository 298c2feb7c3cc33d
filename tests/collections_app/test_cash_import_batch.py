"""A statement's returns and a file's remittance advices are linked to their
payments set-based; what each finds is what the one-by-one lookup found."""

from __future__ import annotations

from decimal import Decimal

import pytest

from collections_app.bank_files.types import Direction, Remittance, RemittanceFormat, RemittanceLine
from collections_app.models import Payment, PaymentStatus
from collections_app.models import Remittance as StoredRemittance
from collections_app.services import payment_refund, remittance_import, statements_import
from collections_app.services.payments import payments_return
from otc.errors import IllegalTransition
from otc.tenancy.context import tenant_context
from tests.collections_app.conftest import DAY, SYSTEM, statement, tx

pytestmark = pytest.mark.django_db
D = Decimal


def _import(tenant, sid, *transactions):
    return statements_import(
        tenant=tenant,
        actor=SYSTEM,
        statements=[statement(sid, *transactions)],
        file_sha256=sid.ljust(64, "0"),
        match=False,
    )


def _advice(reference: str, amount: str, payer: str = "Acme Tools AG") -> Remittance:
    return Remittance(
        format=RemittanceFormat.EDI820,
        payer_name=payer,
        payment_reference=reference,
        payment_amount=D(amount),
        currency="EUR",
        payment_date=DAY,
        lines=(RemittanceLine(reference="INV-1", paid_amount=D(amount)),),
    )


def test_returns_of_one_statement_each_take_back_their_own_payment(in_tenant_a, tenant_b):
    tenant = in_tenant_a
    _import(
        tenant,
        "S-B1",
        tx("100.00", e2e="E-1", account="DE1"),
        tx("100.00", e2e="E-2", account="DE1"),
        tx("55.00", ref="B-3"),
    )
    with tenant_context(tenant_b):
        _import(tenant_b, "S-B1", tx("100.00", e2e="E-1", account="DE1"))
    result = _import(
        tenant,
        "S-B2",
        tx("100.00", e2e="E-1", direction=Direction.DEBIT, is_return=True, return_reason="AC04"),
        # Same account, same amount: E-1 is taken by the line above, so E-2 is the one.
        tx(
            "100.00", account="DE1", direction=Direction.DEBIT, is_return=True, return_reason="MS03"
        ),
        tx("55.00", ref="B-3", direction=Direction.DEBIT, is_return=True, return_reason="AM04"),
        tx("55.00", ref="B-3", direction=Direction.DEBIT, is_return=True, return_reason="AM04"),
    )
    assert result.returns_linked == 3
    statuses = dict(
        Payment.objects.for_tenant(tenant)
        .filter(statement_lines__statement__statement_id="S-B1")
        .values_list("end_to_end_id", "status")
    )
    assert set(statuses.values()) == {PaymentStatus.RETURNED}
    assert set(statuses) == {"E-1", "E-2", ""}
    outcomes = list(
        result.statements[0].lines.order_by("position").values_list("outcome", flat=True)
    )
    assert "could not be linked" in outcomes[3]
    with tenant_context(tenant_b):
        other = Payment.objects.for_tenant(tenant_b).get()
    assert other.status == PaymentStatus.UNIDENTIFIED


def test_advices_link_by_reference_or_payer_and_amount_and_wait_for_the_rest(in_tenant_a, tenant_b):
    tenant = in_tenant_a
    _import(
        tenant,
        "S-A1",
        tx("300.00", e2e="ADV-1", name="Acme Tools AG"),
        tx("120.00", name="ACME TOOLS AG"),
        tx("80.00", name="Twin"),
        tx("80.00", name="Twin"),
    )
    with tenant_context(tenant_b):
        _import(tenant_b, "S-A1", tx("300.00", e2e="ADV-1", name="Acme Tools AG"))
    created = remittance_import(
        tenant=tenant,
        actor=SYSTEM,
        remittances=[
            _advice("ADV-1", "300.00"),
            _advice("", "120.00"),
            _advice("", "80.00", payer="Twin"),  # two payments fit: a person decides
            _advice("ADV-LATER", "45.00"),  # its payment comes with the next statement
        ],
    )
    by_ref = {(r.payment_reference, str(r.payment_amount)): r.payment for r in created}
    assert by_ref[("ADV-1", "300.00")].end_to_end_id == "ADV-1"
    assert by_ref[("", "120.00")].amount == D("120.00")
    assert by_ref[("", "80.00")] is None
    assert by_ref[("ADV-LATER", "45.00")] is None
    assert sum(len(r.lines.all()) for r in created) == 4
    _import(tenant, "S-A2", tx("45.00", e2e="ADV-LATER"))
    later = StoredRemittance.objects.for_tenant(tenant).get(payment_reference="ADV-LATER")
    assert later.payment is not None
    assert later.payment.end_to_end_id == "ADV-LATER"
    # Tenant B's payment with the same reference is neither linked nor seen.
    assert by_ref[("ADV-1", "300.00")].tenant_id == tenant.pk
    with tenant_context(tenant_b):
        assert not StoredRemittance.objects.for_tenant(tenant_b).exists()
        assert Payment.objects.for_tenant(tenant_b).get().status == PaymentStatus.UNIDENTIFIED


def test_returning_many_payments_is_all_or_nothing(in_tenant_a):
    tenant = in_tenant_a
    _import(tenant, "S-C1", tx("10.00", e2e="C-1"), tx("20.00", e2e="C-2"))
    first, second = Payment.objects.for_tenant(tenant).order_by("amount")
    payment_refund(tenant=tenant, actor=SYSTEM, payment_id=second.pk, reason="paid back")
    with pytest.raises(IllegalTransition, match=second.number):
        payments_return(tenant=tenant, actor=SYSTEM, reasons={first.pk: "AC04", second.pk: "AC04"})
    first.refresh_from_db()
    assert first.status == PaymentStatus.UNIDENTIFIED
    (returned,) = payments_return(tenant=tenant, actor=SYSTEM, reasons={first.pk: "AC04"})
    assert (returned.status, returned.return_reason) == (PaymentStatus.RETURNED, "AC04")
    first.refresh_from_db()
    assert first.status == PaymentStatus.RETURNED
