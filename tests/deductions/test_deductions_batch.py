"""A statement's short payments opened as deductions in one batch: each as
the single path opens it (reason mapped, ledger moved, audited, written off
when the rule covers it), all or nothing, tenant B untouched."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from deductions.models import Deduction, DeductionResolution, DeductionStatus, MappingSource
from deductions.services import (
    ShortPayment,
    deduction_policy_update,
    deductions_open_for_short_payments,
    reason_code_by_code,
    reason_codes_ensure,
    reason_mapping_set,
)
from invoicing.models import Invoice
from otc.audit.models import AuditEvent
from otc.errors import ConflictError
from otc.ledger.models import ItemKind, ItemStatus, OpenItem
from otc.ledger.selectors import customer_balance
from otc.tenancy.context import tenant_context
from tests.deductions.conftest import SYSTEM, short_paid_invoice
from tests.factories import CustomerFactory
from tests.invoicing.factories import issued_invoice, line

pytestmark = pytest.mark.django_db
D = Decimal


def _invoice(world, net: str) -> Invoice:
    return issued_invoice(world.tenant, world.customer, [line(net)], issue_date=date(2026, 10, 20))


def test_short_payments_open_in_one_batch_as_one_by_one(world, tenant_b):
    t = world.tenant
    with tenant_context(tenant_b):
        bravo = CustomerFactory(number="B-2", legal_name="Bravo Two", currency="USD")
        _, _, theirs = short_paid_invoice(tenant_b, bravo, net="100.00", paid="100.00")
    with tenant_context(t):
        reason_codes_ensure(tenant=t)
        shortage = reason_code_by_code(tenant=t, code="SHORTAGE")
        reason_mapping_set(
            tenant=t, actor=SYSTEM, source=MappingSource.CLAIM_CODE, pattern="QT", reason=shortage
        )
        deduction_policy_update(
            tenant=t,
            actor=world.manager,
            auto_write_off_limit=D("25.00"),
            reason_codes=["shortage"],
        )
        first, second = _invoice(world, "100.00"), _invoice(world, "1000.00")
        before = customer_balance(tenant=t, customer=world.customer)
        opened = deductions_open_for_short_payments(
            tenant=t,
            actor=SYSTEM,
            entries=[
                ShortPayment(world.customer, first.open_item_id, None, D("19.00"), "EUR", "QT"),
                ShortPayment(
                    world.customer, second.open_item_id, None, D("190.00"), "EUR", "", "no idea"
                ),
                # The same invoice again: sees what the entry above left open.
                ShortPayment(world.customer, second.open_item_id, None, D("10.00"), "EUR", "QT"),
            ],
        )
        assert [(d.amount, d.reason.code) for d in opened] == [
            (D("19.00"), "SHORTAGE"),
            (D("190.00"), "UNIDENTIFIED"),
            (D("10.00"), "SHORTAGE"),
        ]
        # The rule covers the two shortages up to 25.00; the unidentified one waits.
        statuses = [Deduction.objects.get(pk=d.pk).status for d in opened]
        assert statuses == [DeductionStatus.RESOLVED, DeductionStatus.NEW, DeductionStatus.RESOLVED]
        assert DeductionResolution.objects.filter(auto=True).count() == 2
        assert AuditEvent.objects.filter(action="deduction.opened").count() == 3
        items = OpenItem.objects.filter(pk__in=[d.open_item_id for d in opened])
        assert {i.kind for i in items} == {ItemKind.DEDUCTION}
        second_item = OpenItem.objects.get(pk=second.open_item_id)
        assert second_item.open_amount == D("990.00")  # 1,190.00 - 190.00 - 10.00
        assert customer_balance(tenant=t, customer=world.customer).base == before.base - D("29.00")

        # All or nothing: the second entry asks for more than is left.
        count = Deduction.objects.count()
        with pytest.raises(ConflictError):
            deductions_open_for_short_payments(
                tenant=t,
                actor=SYSTEM,
                entries=[
                    ShortPayment(world.customer, second.open_item_id, None, D("900.00"), "EUR"),
                    ShortPayment(world.customer, second.open_item_id, None, D("90.01"), "EUR"),
                ],
            )
        assert Deduction.objects.count() == count
        assert OpenItem.objects.get(pk=second.open_item_id).open_amount == D("990.00")
        assert OpenItem.objects.get(pk=second.open_item_id).status == ItemStatus.OPEN
    with tenant_context(tenant_b):
        theirs.refresh_from_db()
        assert theirs.status == DeductionStatus.NEW
        assert Deduction.objects.for_tenant(tenant_b).count() == 1
