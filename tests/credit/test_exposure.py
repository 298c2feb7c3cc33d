"""Exposure: open AR from the ledger + released-but-uninvoiced orders, in
base currency; pending orders apart; groups sum their members."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from credit.selectors import (
    customer_exposure,
    customers_over_utilization,
    customers_over_utilization_count,
    group_exposure,
)
from credit.services import order_release
from otc.fx.services import manual_rate_set
from otc.tenancy.context import tenant_context
from tests.credit.helpers import (
    SYSTEM,
    D,
    post_invoice,
    post_payment,
    set_limit,
    submitted,
    today_of,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_exposure_sums_ledger_and_orders_in_base_currency(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        other = CustomerFactory()
        post_invoice(tenant_b, other, "999.99")
    with tenant_context(tenant_a):
        manual_rate_set(
            tenant=tenant_a,
            actor=SYSTEM,
            rate_date=today_of(tenant_a),
            from_currency="USD",
            to_currency="EUR",
            rate=Decimal("0.9"),
        )
        customer = CustomerFactory()
        set_limit(tenant_a, customer, "10000")
        post_invoice(tenant_a, customer, "1000.00")
        post_invoice(tenant_a, customer, "500.00", currency="USD")  # EUR 450.00
        post_invoice(tenant_a, customer, "300.00", days_overdue=45)
        post_payment(tenant_a, customer, "200.00")  # unapplied cash lowers exposure
        approved = submitted(tenant_a, customer, "1234.56")
        assert approved.status == "held"  # overdue items older than 30 days
        released = order_release(tenant=tenant_a, actor=SYSTEM, order=approved)
        assert released.open_base_amount == D("1234.56")
        set_limit(tenant_a, customer, "3000")
        held = submitted(tenant_a, customer, "2000.00")
        assert held.status == "held"

        exposure = customer_exposure(
            tenant=tenant_a, customer=customer, limit=D("3000"), today=today_of(tenant_a)
        )
        assert exposure.currency == "EUR"
        assert exposure.open_ar == D("1550.00")  # 1000 + 450 + 300 - 200
        assert exposure.open_orders == D("1234.56")
        assert exposure.pending_orders == D("2000.00")
        assert exposure.total == D("2784.56")
        assert exposure.available == D("215.44")
        assert exposure.utilization_percent == D("92.8")
        assert exposure.overdue == D("300.00")
        over = list(customers_over_utilization(tenant=tenant_a))
        assert [p.customer_id for p in over] == [customer.pk]
        assert over[0].exposure == D("2784.56")
        assert customers_over_utilization_count(tenant=tenant_a) == 1
        assert customers_over_utilization_count(tenant=tenant_a, threshold=D("0.95")) == 0


def test_group_exposure_covers_every_level_below_the_root(in_tenant_a):
    tenant = in_tenant_a
    root = CustomerFactory()
    child = CustomerFactory(parent=root)
    grandchild = CustomerFactory(parent=child)
    outsider = CustomerFactory()
    for customer, amount in ((root, "100"), (child, "200"), (grandchild, "300"), (outsider, "5")):
        post_invoice(tenant, customer, amount)
    group = group_exposure(tenant=tenant, root=root, today=today_of(tenant))
    assert group.open_ar == D("600.00")
    own = customer_exposure(tenant=tenant, customer=child, today=today_of(tenant))
    assert own.open_ar == D("200.00")


def test_open_ar_is_the_open_items_whatever_happened_to_them(in_tenant_a):
    """Open AR comes from the ledger's customer balance (kept by triggers):
    it must equal the open items' open base amounts after applications,
    closed items, deductions and foreign currency; overdue and the oldest
    due date come from the items themselves."""
    from django.db.models import Sum

    from otc.fx.services import manual_rate_set
    from otc.ledger.models import ApplicationKind, ItemStatus, OpenItem
    from otc.ledger.services import ledger_apply, ledger_transfer_to_deduction

    tenant = in_tenant_a
    today = today_of(tenant)
    manual_rate_set(
        tenant=tenant,
        actor=SYSTEM,
        rate_date=today - timedelta(days=90),  # the USD invoice's date
        from_currency="USD",
        to_currency="EUR",
        rate=Decimal("0.8"),
    )
    customer, neighbour = CustomerFactory(), CustomerFactory()
    post_invoice(tenant, neighbour, "77.00", days_overdue=90)
    partly = post_invoice(tenant, customer, "1000.00", days_overdue=45)
    settled = post_invoice(tenant, customer, "250.00", days_overdue=10)
    short = post_invoice(tenant, customer, "400.00")
    post_invoice(tenant, customer, "100.00", currency="USD", days_overdue=60)  # EUR 80.00
    cash = post_payment(tenant, customer, "900.00")
    for debit, amount in ((partly, "650.00"), (settled, "250.00")):
        ledger_apply(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=debit.pk,
            credit_item_id=cash.pk,
            amount=D(amount),
            effective_date=today,
            kind=ApplicationKind.CASH,
        )
    ledger_transfer_to_deduction(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=short.pk,
        amount=D("40.00"),
        effective_date=today,
        number="DED-1",
        reason="short paid",
    )

    exposure = customer_exposure(tenant=tenant, customer=customer, today=today)
    items = OpenItem.objects.filter(customer=customer, status=ItemStatus.OPEN)
    assert exposure.open_ar == items.aggregate(total=Sum("open_base_amount"))["total"]
    assert exposure.open_ar == D("830.00")  # 350 + 360 + 40 (deduction) + 80
    assert exposure.overdue == D("430.00")  # 350 left of 45 days, USD 100 of 60 days
    assert exposure.oldest_due_date == today - timedelta(days=60)
    none_overdue = customer_exposure(tenant=tenant, customer=customer, today=today, overdue_days=70)
    assert (none_overdue.overdue, none_overdue.oldest_due_date) == (
        D("0"),
        exposure.oldest_due_date,
    )
