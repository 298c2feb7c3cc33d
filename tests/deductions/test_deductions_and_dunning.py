"""Deductions and dunning meet: an invalid deduction re-billed is chased by
the next dunning run; a dispute stops dunning for its invoice and resolving
it (reinstated on the invoice) resumes it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collections_app.dunning.services.selection import dunning_due_pairs
from deductions.models import DeductionStatus as S
from deductions.services import (
    ResolutionPart,
    deduction_raise_dispute,
    deduction_resolve,
)
from otc.ledger.models import OpenItem
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import standard_policy
from tests.deductions.conftest import D, short_paid_invoice
from tests.deductions.test_deductions import _to_valid
from tests.invoicing.factories import issued_invoice, line

pytestmark = pytest.mark.django_db


def _chased(tenant, day) -> dict[int, int]:
    """Item id -> the dunning level a run on `day` would send for it."""
    return {pair.item_id: pair.level_number for pair in dunning_due_pairs(tenant=tenant, day=day)}


def test_invalid_deduction_rebilled_is_chased_by_the_next_dunning_run(world, tenant_b):
    t = world.tenant
    with tenant_context(tenant_b):
        standard_policy(tenant_b)
    with tenant_context(t):
        standard_policy(t)
        invoice, _, deduction = short_paid_invoice(t, world.customer)
        _to_valid(world, deduction, S.INVALID)
        (rebill,) = deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=deduction.pk,
            parts=[ResolutionPart(kind="rebill", amount=D("190.00"))],
        )
        memo = rebill.rebill_item
        assert memo is not None
        assert memo.due_date is not None
        day = memo.due_date + timedelta(days=10)

        chased = _chased(t, day)

        assert memo.pk in chased
        # The deduction itself is closed by the re-bill: asked for once, not twice.
        assert deduction.open_item_id not in chased
        assert invoice.open_item_id not in chased
        assert OpenItem.objects.get(pk=memo.pk).open_amount == D("190.00")
    with tenant_context(tenant_b):
        assert _chased(tenant_b, day) == {}


def test_dispute_stops_dunning_and_resolving_it_resumes(world):
    t = world.tenant
    with tenant_context(t):
        standard_policy(t)
        invoice = issued_invoice(t, world.customer, [line("500.00")])
        assert invoice.open_item_id is not None
        item = OpenItem.objects.get(pk=invoice.open_item_id)
        assert item.due_date is not None
        day = item.due_date + timedelta(days=20)
        assert item.pk in _chased(t, day)

        deduction = deduction_raise_dispute(
            tenant=t, actor=world.analyst, invoice_id=invoice.pk, note="Goods damaged"
        )
        chased = _chased(t, day)
        assert item.pk not in chased
        assert deduction.open_item_id not in chased

        _to_valid(world, deduction, S.INVALID)
        deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=deduction.pk,
            parts=[ResolutionPart(kind="reinstate", amount=deduction.amount)],
        )
        assert OpenItem.objects.get(pk=item.pk).open_amount == item.amount
        assert item.pk in _chased(t, day)
