"""Two people resolving the same deduction at the same moment, each in its
own connection with real COMMITs: the row lock lets one win; the other gets
a clean refusal and nothing is posted twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from deductions.models import Deduction, DeductionResolution, DeductionStatus
from deductions.services import ResolutionPart, deduction_resolve
from otc.audit.services import Actor
from otc.errors import DomainError
from otc.ledger.models import OpenItem
from otc.ledger.selectors import customer_balance
from otc.tenancy.context import tenant_context
from tests.deductions.conftest import D, member, short_paid_invoice
from tests.deductions.test_deductions import _to_valid
from tests.factories import CustomerFactory, TenantFactory

pytestmark = pytest.mark.usefixtures("committed_db")


def _resolve(tenant, actor: Actor, deduction_id: int, kind: str, barrier) -> str:
    try:
        with tenant_context(tenant):
            barrier.wait(timeout=30)
            try:
                deduction_resolve(
                    tenant=tenant,
                    actor=actor,
                    deduction_id=deduction_id,
                    parts=[ResolutionPart(kind=kind, amount=D("190.00"))],
                )
            except DomainError as error:
                return f"refused: {error.detail}"
            return "posted"
    finally:
        connections.close_all()


def test_two_resolutions_of_the_same_deduction_at_once_one_wins():
    tenant = TenantFactory(slug="ded-race", base_currency="EUR")
    other = TenantFactory(slug="ded-race-other", base_currency="EUR")
    analyst, _ = member(tenant, "analyst@race.example", "deductions_analyst", "1000.00")
    manager, _ = member(tenant, "manager@race.example", "credit_manager", "5000.00")

    class _World:
        pass

    world = _World()
    world.tenant, world.analyst = tenant, analyst  # type: ignore[attr-defined]
    with tenant_context(other):
        _, _, theirs = short_paid_invoice(other, CustomerFactory(number="O-1"))
    with tenant_context(tenant):
        customer = CustomerFactory(number="R-1")
        _, _, deduction = short_paid_invoice(tenant, customer)
        _to_valid(world, deduction)
    barrier = threading.Barrier(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(_resolve, tenant, analyst, deduction.pk, "credit_memo", barrier),
            pool.submit(_resolve, tenant, manager, deduction.pk, "write_off", barrier),
        ]
        outcomes = sorted(future.result(timeout=120) for future in futures)
    assert outcomes[0] == "posted"
    assert outcomes[1].startswith("refused")
    with tenant_context(tenant):
        assert DeductionResolution.objects.filter(deduction=deduction).count() == 1
        assert OpenItem.objects.get(pk=deduction.open_item_id).open_amount == 0
        assert Deduction.objects.get(pk=deduction.pk).status == DeductionStatus.RESOLVED
        assert customer_balance(tenant=tenant, customer=customer).base == D("0.00")
    with tenant_context(other):
        assert Deduction.objects.get(pk=theirs.pk).status == DeductionStatus.NEW
