"""Orders: creation, the credit decision on submit with its reason codes,
the analyst's decisions and consumption by invoicing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from credit.models import Order, OrderEvent, OrderLine, OrderStatus
from credit.selectors import credit_policy_get, customer_exposure, held_order_queue
from credit.services import (
    OrderLineInput,
    credit_policy_update,
    credit_profile_block,
    credit_profile_update,
    order_cancel,
    order_consume_for_invoice,
    order_create,
    order_reject,
    order_release,
    order_request_info,
    order_submit,
)
from otc.audit.models import AuditEvent
from otc.customers.services import customer_set_status
from otc.errors import ConflictError, IllegalTransition, ValidationFailed
from otc.fx.services import manual_rate_set
from otc.tenancy.context import tenant_context
from tests.credit.helpers import (
    SYSTEM,
    D,
    new_order,
    post_invoice,
    set_limit,
    submitted,
    today_of,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(in_tenant_a):
    customer = CustomerFactory()
    set_limit(in_tenant_a, customer, "10000")
    return customer


def codes(order: Order) -> list[str]:
    return [reason["code"] for reason in order.hold_reasons]


def test_order_totals_and_base_amount_at_the_order_date_rate(in_tenant_a, customer):
    tenant = in_tenant_a
    manual_rate_set(
        tenant=tenant,
        actor=SYSTEM,
        rate_date=today_of(tenant),
        from_currency="USD",
        to_currency="EUR",
        rate=Decimal("0.8612"),
    )
    order = order_create(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        currency="usd",
        lines=[
            OrderLineInput(
                description="Gear", quantity=D("3"), unit_price=D("19.99"), tax_rate=D("19")
            ),
            OrderLineInput(description="Shaft", quantity=D("2.5"), unit_price=D("10.005")),
        ],
        external_ref="ERP-1",
    )
    assert order.status == "draft"
    assert order.currency == "USD"
    assert order.net_amount == D("84.98")  # 59.97 + 25.01 (25.0125 rounded)
    assert order.tax_amount == D("11.39")  # 19 % of 59.97
    assert order.total_amount == D("96.37")
    assert order.base_amount == D("82.99")  # 96.37 * 0.8612 = 82.9938...
    assert OrderLine.objects.filter(order=order).count() == 2


def test_bad_input_creates_nothing(in_tenant_a, customer):
    tenant = in_tenant_a
    with pytest.raises(ValidationFailed) as error:
        order_create(
            tenant=tenant,
            actor=SYSTEM,
            customer=customer,
            currency="EUR",
            lines=[OrderLineInput(description="Gear", quantity=D("-1"), unit_price=D("5"))],
        )
    assert "lines[0].quantity" in error.value.errors
    with pytest.raises(ValidationFailed) as error:
        new_order(tenant, customer, "10", currency="ABC")
    assert "currency" in error.value.errors
    with pytest.raises(ValidationFailed) as error:
        new_order(tenant, customer, "10", currency="JPY")  # no rate to EUR
    assert "currency" in error.value.errors
    assert Order.objects.count() == 0


def test_duplicate_external_ref_is_a_conflict_and_changes_nothing(in_tenant_a, customer):
    tenant = in_tenant_a
    first = submitted(tenant, customer, "100", external_ref="SO-1")
    with pytest.raises(ConflictError) as error:
        new_order(tenant, customer, "1", external_ref="SO-1")
    assert error.value.code == "duplicate_external_ref"
    assert Order.objects.count() == 1
    assert Order.objects.get().status == first.status == "approved"


def test_within_limit_is_approved_with_event_and_audit(in_tenant_a, customer):
    tenant = in_tenant_a
    post_invoice(tenant, customer, "4000")
    order = submitted(tenant, customer, "6000.00")
    assert order.status == "approved"
    assert order.hold_reasons == []
    assert order.released_amount == D("6000.00")
    assert order.open_base_amount == D("6000.00")
    assert order.decision_figures["open_ar"] == "4000.0000"
    event = OrderEvent.objects.get(order=order)
    assert (event.kind, event.status) == ("approved", "approved")
    assert AuditEvent.objects.filter(action="credit.order_approved", object_id=str(order.pk))


def test_over_limit_is_held_with_amount_and_text(in_tenant_a, customer):
    tenant = in_tenant_a
    post_invoice(tenant, customer, "4000")
    submitted(tenant, customer, "5000")
    order = submitted(tenant, customer, "2234.56")
    assert order.status == "held"
    assert codes(order) == ["over_limit"]
    reason = order.hold_reasons[0]
    assert reason["amount"] == "1234.5600"
    assert reason["currency"] == "EUR"
    assert reason["message"].startswith("Over limit by EUR 1,234.56: limit EUR 10,000.00")
    assert order.open_base_amount == 0
    assert list(held_order_queue(tenant=tenant)) == [order]


def test_a_held_order_cannot_be_resubmitted_or_cloned_past_the_hold(in_tenant_a, customer):
    tenant = in_tenant_a
    held = submitted(tenant, customer, "12000", external_ref="SO-BIG")
    assert codes(held) == ["over_limit"]
    with pytest.raises(IllegalTransition):
        order_submit(tenant=tenant, actor=SYSTEM, order=held)
    held.refresh_from_db()
    assert held.status == "held"
    # Splitting it into smaller orders does not work either: the held one is pending.
    clone = submitted(tenant, customer, "6000", external_ref="SO-BIG-1")
    assert clone.status == "held"
    assert "awaiting a decision EUR 12,000.00" in clone.hold_reasons[0]["message"]
    assert OrderEvent.objects.filter(order=held).count() == 1


def test_every_rule_gives_its_reason(in_tenant_a, customer):
    tenant = in_tenant_a
    post_invoice(tenant, customer, "150", days_overdue=31)
    credit_policy_update(tenant=tenant, actor=SYSTEM, overdue_min_amount=D("100"))
    credit_profile_block(tenant=tenant, actor=SYSTEM, customer=customer, reason="Insolvency filed")
    credit_profile_update(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        risk_class="E",
        next_review_date=today_of(tenant) - timedelta(days=3),
    )
    customer_set_status(tenant=tenant, actor=SYSTEM, customer=customer, status="on_hold")
    customer.refresh_from_db()
    order = submitted(tenant, customer, "10")
    assert sorted(codes(order)) == sorted(
        [
            "customer_inactive",
            "customer_blocked",
            "review_expired",
            "overdue_items",
            "high_risk_class",
        ]
    )
    by_code = {reason["code"]: reason for reason in order.hold_reasons}
    assert by_code["customer_blocked"]["message"].endswith("Insolvency filed")
    assert "(3 days ago)" in by_code["review_expired"]["message"]
    assert by_code["overdue_items"]["amount"] == "150.0000"
    assert "EUR 150.00 is overdue by more than 30 days" in by_code["overdue_items"]["message"]


def test_policy_switches_rules_off_and_sets_thresholds(in_tenant_a, customer):
    tenant = in_tenant_a
    post_invoice(tenant, customer, "90", days_overdue=40)
    credit_policy_update(
        tenant=tenant,
        actor=SYSTEM,
        overdue_min_amount=D("100"),  # 90 overdue is tolerated
        limit_tolerance_percent=D("10"),
        hold_risk_classes=[],
    )
    credit_profile_update(tenant=tenant, actor=SYSTEM, customer=customer, risk_class="E")
    assert submitted(tenant, customer, "10900").status == "approved"  # 10,990 <= 11,000
    policy = credit_policy_get(tenant=tenant)
    assert policy.hold_risk_classes == []
    with pytest.raises(ValidationFailed) as error:
        credit_policy_update(tenant=tenant, actor=SYSTEM, overdue_days=-1, hold_risk_classes=["Z"])
    assert set(error.value.errors) == {"overdue_days", "hold_risk_classes"}


def test_group_limit_caps_the_sum_of_members(in_tenant_a):
    tenant = in_tenant_a
    parent = CustomerFactory()
    one, two = CustomerFactory(parent=parent), CustomerFactory(parent=parent)
    for member in (parent, one, two):
        set_limit(tenant, member, "5000")
    set_limit(tenant, parent, "6000", group=True)
    post_invoice(tenant, one, "3000")
    assert submitted(tenant, two, "2500").status == "approved"  # group 5,500
    held = submitted(tenant, two, "600")
    assert codes(held) == ["group_limit_exceeded"]
    assert held.hold_reasons[0]["message"].startswith("Over group limit by EUR 100.00")
    assert codes(submitted(tenant, parent, "600")) == ["group_limit_exceeded"]


def test_release_partial_with_prepayment_then_invoice_consumes_it(in_tenant_a, customer):
    tenant = in_tenant_a
    held = submitted(tenant, customer, "12000")
    with pytest.raises(ValidationFailed):
        order_release(tenant=tenant, actor=SYSTEM, order=held, amount=D("12000.01"))
    released = order_release(
        tenant=tenant,
        actor=SYSTEM,
        order=held,
        amount=D("8000"),
        prepayment_required=True,
        note="Ship 2 of 3 pallets",
    )
    assert released.status == "released"
    assert (released.released_amount, released.open_base_amount) == (D("8000"), D("8000"))
    assert released.prepayment_required
    exposure = customer_exposure(tenant=tenant, customer=customer, today=today_of(tenant))
    assert (exposure.open_orders, exposure.pending_orders) == (D("8000"), D("0"))

    part = order_consume_for_invoice(
        tenant=tenant, actor=SYSTEM, order=released, amount=D("3000"), reference="INV-1"
    )
    assert part.status == "partially_invoiced"
    assert (part.invoiced_amount, part.open_base_amount) == (D("3000"), D("5000"))
    again = order_consume_for_invoice(
        tenant=tenant, actor=SYSTEM, order=part, amount=D("3000"), reference="INV-1"
    )
    assert again.invoiced_amount == D("3000")  # a retry does not count twice
    with pytest.raises(ConflictError):
        order_consume_for_invoice(tenant=tenant, actor=SYSTEM, order=part, amount=D("5000.01"))
    done = order_consume_for_invoice(
        tenant=tenant, actor=SYSTEM, order=part, amount=D("5000"), reference="INV-2"
    )
    assert (done.status, done.open_base_amount) == ("invoiced", D("0"))
    with pytest.raises(IllegalTransition):
        order_consume_for_invoice(tenant=tenant, actor=SYSTEM, order=done, amount=D("1"))


def test_reject_and_request_info_need_a_note_and_resubmit_decides_again(in_tenant_a, customer):
    tenant = in_tenant_a
    held = submitted(tenant, customer, "11000")
    with pytest.raises(ValidationFailed) as error:
        order_reject(tenant=tenant, actor=SYSTEM, order=held, note=" ")
    assert "note" in error.value.errors
    asked = order_request_info(
        tenant=tenant, actor=SYSTEM, order=held, note="Send the latest balance sheet"
    )
    assert asked.status == "info_requested"
    set_limit(tenant, customer, "20000")
    again = order_submit(tenant=tenant, actor=SYSTEM, order=asked)
    assert again.status == "approved"  # its own pending amount is not counted twice
    assert [e.kind for e in OrderEvent.objects.filter(order=again)] == [
        "held",
        "info_requested",
        "approved",
    ]
    other = submitted(tenant, customer, "30000")
    rejected = order_reject(tenant=tenant, actor=SYSTEM, order=other, note="Too large")
    assert rejected.status == "rejected"
    with pytest.raises(IllegalTransition):
        order_release(tenant=tenant, actor=SYSTEM, order=rejected)


def test_cancel_frees_the_exposure(in_tenant_a, customer):
    tenant = in_tenant_a
    order = submitted(tenant, customer, "4000")
    order_cancel(tenant=tenant, actor=SYSTEM, order=order, note="Customer withdrew")
    exposure = customer_exposure(tenant=tenant, customer=customer, today=today_of(tenant))
    assert exposure.open_orders == 0
    assert Order.objects.get().status == OrderStatus.CANCELLED


def test_other_tenant_is_untouched(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        theirs = CustomerFactory()
        set_limit(tenant_b, theirs, "100")
        their_order = submitted(tenant_b, theirs, "50")
    with tenant_context(tenant_a):
        mine = CustomerFactory()
        set_limit(tenant_a, mine, "100")
        assert submitted(tenant_a, mine, "80").status == "approved"
        with pytest.raises(ValidationFailed):
            new_order(tenant_a, theirs, "1")
        assert Order.objects.count() == 1
    with tenant_context(tenant_b):
        assert list(Order.objects.values_list("pk", "status")) == [(their_order.pk, "approved")]
