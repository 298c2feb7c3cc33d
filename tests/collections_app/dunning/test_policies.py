from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from collections_app.dunning.models import DunningLevel, DunningPolicy, DunningTemplate
from collections_app.dunning.services.policies import (
    LevelInput,
    PolicyInput,
    dunning_policy_update,
)
from otc.errors import ValidationFailed
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import SYSTEM, standard_levels, standard_policy, template

pytestmark = pytest.mark.django_db


def test_policy_is_created_with_levels_and_templates(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        policy = standard_policy(tenant_a, fee="5.00", interest="9")
        levels = list(policy.levels.order_by("number"))
        assert [(lvl.number, lvl.days_overdue) for lvl in levels] == [
            (1, -3),
            (2, 7),
            (3, 21),
            (4, 45),
        ]
        assert levels[2].fee_amount == Decimal("5.0000")
        assert levels[2].interest_rate_percent == Decimal("9.000")
        assert DunningTemplate.objects.for_tenant(tenant_a).filter(level=levels[2]).count() == 2
    with tenant_context(tenant_b):
        assert not DunningPolicy.objects.for_tenant(tenant_b).exists()


def test_unknown_placeholder_is_rejected_with_its_name(tenant_a):
    levels = standard_levels()
    bad = replace(template(), body="Hello {customer_name}, pay {amount_due} now {iban}")
    levels[1] = replace(levels[1], templates=[bad])
    with tenant_context(tenant_a), pytest.raises(ValidationFailed) as caught:
        standard_policy(tenant_a, levels=levels)
    messages = caught.value.errors["levels[1].templates[0].body"]
    assert "{amount_due}" in messages[0]
    assert "{iban}" in messages[0]
    assert "{customer_name}" not in messages[0].split("Use one of")[0]
    with tenant_context(tenant_a):
        assert not DunningPolicy.objects.for_tenant(tenant_a).exists()


@pytest.mark.parametrize("days", [(7, 7), (14, 7)])
def test_overlapping_or_descending_levels_are_rejected(tenant_a, days):
    levels = [LevelInput(name=f"L{d}", days_overdue=d, templates=[template()]) for d in days]
    with tenant_context(tenant_a), pytest.raises(ValidationFailed) as caught:
        standard_policy(tenant_a, levels=levels)
    assert "levels[1].days_overdue" in caught.value.errors
    assert "overlaps level 1" in caught.value.errors["levels[1].days_overdue"][0]


def test_only_one_default_policy(tenant_a):
    with tenant_context(tenant_a):
        first = standard_policy(tenant_a, name="First")
        second = standard_policy(tenant_a, name="Second")
        first.refresh_from_db()
        assert not first.is_default
        assert second.is_default


def test_update_keeps_level_identity_and_reorders_days(tenant_a):
    with tenant_context(tenant_a):
        policy = standard_policy(tenant_a)
        level_ids = list(policy.levels.order_by("number").values_list("pk", flat=True))
        levels = standard_levels()
        levels[1] = replace(levels[1], days_overdue=10)
        levels[2] = replace(levels[2], days_overdue=30)
        dunning_policy_update(
            tenant=tenant_a,
            actor=SYSTEM,
            policy_id=policy.pk,
            data=PolicyInput(name="Standard", levels=levels[:3], is_default=True),
        )
        rows = list(DunningLevel.objects.for_tenant(tenant_a).order_by("number"))
        assert [r.pk for r in rows] == level_ids[:3]
        assert [r.days_overdue for r in rows] == [-3, 10, 30]
