"""The demo companies come with disputes in the deductions queue and a
dunning policy, calls and promises for the collectors, loaded once."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from collections_app.dunning.models import (
    CollectionActivity,
    DunningLevel,
    DunningPolicy,
    PromiseToPay,
)
from deductions.models import Deduction
from otc.ledger.models import ItemKind, OpenItem
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant

DEMO_SLUGS = ("northwind", "blue-harbor")


def _counts() -> dict[str, tuple[int, ...]]:
    counts = {}
    for slug in DEMO_SLUGS:
        tenant = Tenant.objects.get(slug=slug)
        with tenant_context(tenant):
            counts[slug] = (
                Deduction.objects.count(),
                DunningPolicy.objects.count(),
                CollectionActivity.objects.count(),
                PromiseToPay.objects.count(),
            )
    return counts


def test_demo_companies_get_disputes_and_dunning_once(db):
    err = StringIO()
    call_command("seed_demo", customers=24, stdout=StringIO(), stderr=err)

    for slug in DEMO_SLUGS:
        tenant = Tenant.objects.get(slug=slug)
        with tenant_context(tenant):
            deductions = list(Deduction.objects.select_related("open_item"))
            assert deductions
            assert {d.tenant_id for d in deductions} == {tenant.pk}
            # Each dispute moved its amount off the invoice onto a deduction item.
            for deduction in deductions:
                assert deduction.open_item.kind == ItemKind.DEDUCTION
                assert deduction.open_item.amount == deduction.amount > Decimal(0)
            assert sum(d.amount for d in deductions) == sum(
                item.amount for item in OpenItem.objects.filter(kind=ItemKind.DEDUCTION)
            )
            assert any(d.owner_id is not None for d in deductions)
            assert any(d.owner_id is None for d in deductions)

            (policy,) = DunningPolicy.objects.all()
            assert policy.is_default
            levels = list(DunningLevel.objects.filter(policy=policy).order_by("number"))
            assert [level.days_overdue for level in levels] == [-3, 7, 21, 45]
            assert levels[2].fee_amount == Decimal("10.00")
            assert str(levels[2].fee_currency) == str(tenant.base_currency)
            assert CollectionActivity.objects.exists()
            assert PromiseToPay.objects.exists()
    assert "disputes" in err.getvalue()
    assert "dunning policy with 4 levels" in err.getvalue()

    before = _counts()
    again = StringIO()
    call_command("seed_demo", customers=24, stdout=StringIO(), stderr=again)
    assert _counts() == before
    assert "has deductions already" in again.getvalue()
    assert "has a dunning policy already" in again.getvalue()
