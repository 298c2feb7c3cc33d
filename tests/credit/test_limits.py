"""Limits: history, approval limits, blocking."""

from __future__ import annotations

import pytest

from credit.models import CreditLimitChange, CreditProfile
from credit.services import credit_limit_set, credit_profile_unblock
from otc.audit.services import Actor
from otc.errors import NotPermitted, ValidationFailed
from tests.credit.helpers import SYSTEM, D, set_limit
from tests.factories import CustomerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_limit_history_and_approval_limit(in_tenant_a):
    tenant = in_tenant_a
    customer = CustomerFactory()
    analyst = MembershipFactory(role="credit_analyst", approval_limit=50_000)
    actor = Actor(user=analyst.user, label=analyst.user.email)
    credit_limit_set(
        tenant=tenant, actor=actor, customer=customer, amount=D("50000"), reason="Opening limit"
    )
    with pytest.raises(NotPermitted) as error:
        credit_limit_set(
            tenant=tenant,
            actor=actor,
            customer=customer,
            amount=D("50000.01"),
            reason="Bigger orders",
        )
    assert "Your approval limit is EUR 50,000.00" in error.value.detail
    credit_limit_set(
        tenant=tenant, actor=actor, customer=customer, amount=D("1000"), reason="Late payments"
    )  # lowering needs no approval
    with pytest.raises(ValidationFailed):
        credit_limit_set(tenant=tenant, actor=actor, customer=customer, amount=D("5"), reason="")
    history = list(CreditLimitChange.objects.filter(customer=customer).order_by("id"))
    assert [(h.old_limit, h.new_limit) for h in history] == [
        (D("0"), D("50000")),
        (D("50000"), D("1000")),
    ]
    assert history[0].changed_by == analyst.user
    assert CreditProfile.objects.get(customer=customer).credit_limit == D("1000")


def test_unblock_clears_the_reason(in_tenant_a):
    tenant = in_tenant_a
    customer = CustomerFactory()
    set_limit(tenant, customer, "10")
    from credit.services import credit_profile_block

    credit_profile_block(tenant=tenant, actor=SYSTEM, customer=customer, reason="Fraud check")
    profile = credit_profile_unblock(tenant=tenant, actor=SYSTEM, customer=customer)
    assert (profile.is_blocked, profile.blocked_reason) == (False, "")
