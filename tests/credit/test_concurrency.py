"""Many threads submitting orders against one limit, with real COMMITs:
the sum approved never exceeds the available credit."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from credit.models import Order
from credit.services import OrderLineInput, order_create, order_submit
from otc.tenancy.context import tenant_context
from tests.credit.helpers import SYSTEM, D, new_order, post_invoice, set_limit
from tests.factories import CustomerFactory, TenantFactory

pytestmark = pytest.mark.usefixtures("committed_db")

THREADS = 8


def _submit_all(tenant, order_ids, barrier):
    statuses = []
    try:
        with tenant_context(tenant):
            barrier.wait(timeout=30)
            for order_id in order_ids:
                order = Order.objects.get(pk=order_id)
                statuses.append(order_submit(tenant=tenant, actor=SYSTEM, order=order).status)
    finally:
        connections.close_all()
    return statuses


def test_parallel_submissions_never_overdraw_the_limit():
    tenant = TenantFactory(slug="credit-race", base_currency="EUR")
    other = TenantFactory(slug="credit-race-other", base_currency="EUR")
    with tenant_context(other):
        theirs = CustomerFactory()
        set_limit(other, theirs, "1")
    with tenant_context(tenant):
        customer = CustomerFactory()
        sibling = CustomerFactory()
        set_limit(tenant, customer, "10000")
        set_limit(tenant, sibling, "10000")
        post_invoice(tenant, customer, "2500.00")  # available: 7,500.00
        amounts = ["700.00", "450.50", "1200.00", "333.33"] * 10
        ids = [new_order(tenant, customer, amount).pk for amount in amounts]
        # Orders of another customer run alongside and must not be affected.
        sibling_ids = [new_order(tenant, sibling, "100.00").pk for _ in range(8)]
    work = ids + sibling_ids
    shares = [work[i::THREADS] for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(_submit_all, tenant, share, barrier) for share in shares]
        for future in futures:
            future.result(timeout=300)

    with tenant_context(tenant):
        orders = Order.objects.filter(customer=customer)
        approved = sum((o.base_amount for o in orders.filter(status="approved")), Decimal(0))
        assert approved <= D("7500.00")
        assert orders.filter(status="held").exists()
        assert not orders.filter(status__in=["draft", "submitted"]).exists()
        # Held orders count as pending, so the first hold stops the rest:
        # what was approved is exactly what came before it in lock order.
        assert approved > 0
        assert set(Order.objects.filter(customer=sibling).values_list("status", flat=True)) == {
            "approved"
        }
    with tenant_context(other):
        assert Order.objects.count() == 0


def test_parallel_submissions_of_group_members_never_overdraw_the_group_limit():
    tenant = TenantFactory(slug="credit-group-race", base_currency="EUR")
    with tenant_context(tenant):
        parent = CustomerFactory()
        members = [CustomerFactory(parent=parent) for _ in range(3)]
        for member in members:
            set_limit(tenant, member, "100000")
        set_limit(tenant, parent, "6000", group=True)
        ids = [new_order(tenant, members[i % 3], "450.00").pk for i in range(24)]
    shares = [ids[i::THREADS] for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for future in [pool.submit(_submit_all, tenant, share, barrier) for share in shares]:
            future.result(timeout=300)
    with tenant_context(tenant):
        approved = Order.objects.filter(status="approved")
        total = sum((o.base_amount for o in approved), Decimal(0))
        assert total <= D("6000.00")
        assert approved.count() == 13  # 13 x 450 = 5,850; the 14th would pass 6,000
        held = Order.objects.filter(status="held")
        assert {r["code"] for o in held for r in o.hold_reasons} == {"group_limit_exceeded"}


def _create_all(tenant, customer, amounts, barrier):
    statuses = []
    try:
        with tenant_context(tenant):
            barrier.wait(timeout=30)
            for amount in amounts:
                order = order_create(
                    tenant=tenant,
                    actor=SYSTEM,
                    customer=customer,
                    currency="EUR",
                    lines=[OrderLineInput("Drive unit", D(1), D(amount))],
                    submit=True,
                )
                statuses.append(order.status)
    finally:
        connections.close_all()
    return statuses


def test_parallel_created_and_submitted_orders_never_overdraw_the_limit():
    """The API's path: the order is created and decided in one transaction
    (no row of its own to lock yet); the profile lock still serializes."""
    tenant = TenantFactory(slug="credit-create-race", base_currency="EUR")
    with tenant_context(tenant):
        customer = CustomerFactory()
        set_limit(tenant, customer, "5000")
        post_invoice(tenant, customer, "1000.00")  # available: 4,000.00
    shares = [["300.00", "450.00", "125.50"] * 3 for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(_create_all, tenant, customer, share, barrier) for share in shares]
        for future in futures:
            future.result(timeout=300)
    with tenant_context(tenant):
        orders = Order.objects.filter(customer=customer)
        assert orders.count() == THREADS * 9
        approved = sum((o.base_amount for o in orders.filter(status="approved")), Decimal(0))
        assert D("0") < approved <= D("4000.00")
        assert orders.filter(status="held").exists()
