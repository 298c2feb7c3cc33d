"""Two people refunding the same open credit at the same moment, each in its
own connection with real COMMITs: the credit item's row lock lets one win;
the other sees what is left and is refused. Never more is refunded than the
credit had."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from deductions.models import Refund, RefundStatus
from deductions.services import refund_request
from otc.audit.services import Actor
from otc.errors import DomainError
from otc.ledger.models import ItemKind, OpenItem
from otc.ledger.selectors import customer_balance
from otc.ledger.services import ledger_item_post
from otc.tenancy.context import tenant_context
from tests.deductions.conftest import DAY, SYSTEM, D, member
from tests.factories import CustomerFactory, TenantFactory

pytestmark = pytest.mark.usefixtures("committed_db")


def _refund(tenant, actor: Actor, item_id: int, barrier: threading.Barrier) -> str:
    try:
        with tenant_context(tenant):
            barrier.wait(timeout=30)
            try:
                refund_request(
                    tenant=tenant,
                    actor=actor,
                    credit_item_id=item_id,
                    amount=D("70.00"),
                    payee_iban="DE89370400440532013000",
                )
            except DomainError as error:
                return f"refused: {error.detail}"
            return "refunded"
    finally:
        connections.close_all()


@pytest.mark.parametrize("limits", [("1000.00", "1000.00"), ("10.00", "1000.00")])
def test_two_refunds_racing_for_the_same_credit_never_over_refund(limits):
    """Both approved at once, or one waiting for approval: either way the
    second sees the first's claim on the 100.00."""
    tenant = TenantFactory(slug="refund-race", base_currency="EUR")
    other = TenantFactory(slug="refund-race-other", base_currency="EUR")
    first, _ = member(tenant, "first@race.example", "deductions_analyst", limits[0])
    second, _ = member(tenant, "second@race.example", "credit_manager", limits[1])
    with tenant_context(other):
        theirs = ledger_item_post(
            tenant=other,
            actor=SYSTEM,
            customer=CustomerFactory(number="O-1"),
            kind=ItemKind.PAYMENT,
            number="PAY-O",
            currency="EUR",
            amount=D("100.00"),
            document_date=DAY,
        )
    with tenant_context(tenant):
        customer = CustomerFactory(number="R-1", currency="EUR")
        credit = ledger_item_post(
            tenant=tenant,
            actor=SYSTEM,
            customer=customer,
            kind=ItemKind.PAYMENT,
            number="PAY-R",
            currency="EUR",
            amount=D("100.00"),
            document_date=DAY,
        )
    barrier = threading.Barrier(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(_refund, tenant, actor, credit.pk, barrier) for actor in (first, second)
        ]
        outcomes = sorted(future.result(timeout=120) for future in futures)
    assert outcomes[0] == "refunded"
    assert outcomes[1].startswith("refused")
    assert "30.00" in outcomes[1]
    with tenant_context(tenant):
        refunds = list(Refund.objects.all())
        assert len(refunds) == 1
        assert refunds[0].status in {RefundStatus.APPROVED, RefundStatus.PENDING_APPROVAL}
        paid = D("70.00") if refunds[0].status == RefundStatus.APPROVED else D(0)
        assert OpenItem.objects.get(pk=credit.pk).open_amount == D("-100.00") + paid
        assert customer_balance(tenant=tenant, customer=customer).base == D("-100.00") + paid
    with tenant_context(other):
        assert OpenItem.objects.get(pk=theirs.pk).open_amount == D("-100.00")
        assert not Refund.objects.exists()
