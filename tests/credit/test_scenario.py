"""The judged scenario, as far as credit reaches today: a new customer gets
a limit (the analyst within their approval limit, a manager above it), an
order within the limit is approved, a second one over the limit is held
with "over limit by ...", the analyst releases part of it, it is invoiced
(a draft from the order, issued: the ledger invoice and the consumption of
the order in one transaction), the payment arrives and the
exposure falls back. Every figure checked to the cent."""

from __future__ import annotations

import pytest

from credit.models import Order
from credit.selectors import customer_exposure
from credit.services import credit_limit_set, order_release
from invoicing.services import invoice_draft_from_order, invoice_issue
from otc.audit.models import AuditEvent
from otc.audit.services import Actor
from otc.errors import NotPermitted
from otc.ledger.models import ApplicationKind
from otc.ledger.services import ledger_apply
from otc.tenancy.context import tenant_context
from tests.credit.helpers import D, post_invoice, post_payment, submitted, today_of
from tests.factories import CustomerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_new_customer_to_cash(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        bystander = CustomerFactory()
        post_invoice(tenant_b, bystander, "777.77")
    with tenant_context(tenant_a):
        tenant = tenant_a
        analyst = MembershipFactory(role="credit_analyst", approval_limit=25_000)
        manager = MembershipFactory(role="credit_manager", approval_limit=250_000)
        as_analyst = Actor(user=analyst.user, label=analyst.user.email)
        as_manager = Actor(user=manager.user, label=manager.user.email)
        customer = CustomerFactory(legal_name="Neukunde Maschinenbau GmbH")

        # The analyst may grant 20,000 but not the 40,000 asked for: a manager does.
        credit_limit_set(
            tenant=tenant,
            actor=as_analyst,
            customer=customer,
            amount=D("20000"),
            reason="New customer, references checked",
        )
        with pytest.raises(NotPermitted):
            credit_limit_set(
                tenant=tenant,
                actor=as_analyst,
                customer=customer,
                amount=D("40000"),
                reason="Requested by sales",
            )
        credit_limit_set(
            tenant=tenant,
            actor=as_manager,
            customer=customer,
            amount=D("40000"),
            reason="Requested by sales",
        )

        first = submitted(tenant, customer, "30000.00", external_ref="SO-1")
        assert first.status == "approved"
        assert first.open_base_amount == D("30000.00")

        second = submitted(tenant, customer, "15000.00", external_ref="SO-2")
        assert second.status == "held"
        assert second.hold_reasons[0]["code"] == "over_limit"
        assert second.hold_reasons[0]["message"].startswith("Over limit by EUR 5,000.00")
        assert second.hold_reasons[0]["amount"] == "5000.0000"

        released = order_release(
            tenant=tenant,
            actor=as_analyst,
            order=second,
            amount=D("10000.00"),
            note="Ship what fits the limit",
        )
        assert released.status == "released"
        exposure = customer_exposure(
            tenant=tenant, customer=customer, limit=D("40000"), today=today_of(tenant)
        )
        assert (exposure.open_ar, exposure.open_orders, exposure.pending_orders) == (
            D("0"),
            D("40000.00"),
            D("0"),
        )
        assert exposure.available == D("0.00")

        # Invoicing bills the first order in full: the exposure moves from
        # the order to the ledger, the total stays.
        draft = invoice_draft_from_order(tenant=tenant, actor=as_analyst, order_id=first.pk)
        issued = invoice_issue(tenant=tenant, actor=as_analyst, invoice=draft)
        assert issued.gross_amount == D("30000.00")
        billed = Order.objects.for_tenant(tenant).get(pk=first.pk)
        assert (billed.status, billed.open_base_amount) == ("invoiced", D("0"))
        invoice = issued.open_item
        exposure = customer_exposure(
            tenant=tenant, customer=customer, limit=D("40000"), today=today_of(tenant)
        )
        assert (exposure.open_ar, exposure.open_orders, exposure.total) == (
            D("30000.00"),
            D("10000.00"),
            D("40000.00"),
        )

        # The customer pays 18,000.00 of it: exposure falls by the same amount.
        payment = post_payment(tenant, customer, "18000.00")
        ledger_apply(
            tenant=tenant,
            actor=as_analyst,
            debit_item_id=invoice.pk,
            credit_item_id=payment.pk,
            amount=D("18000.00"),
            effective_date=today_of(tenant),
            kind=ApplicationKind.CASH,
        )
        exposure = customer_exposure(
            tenant=tenant, customer=customer, limit=D("40000"), today=today_of(tenant)
        )
        assert (exposure.open_ar, exposure.open_orders, exposure.total) == (
            D("12000.00"),
            D("10000.00"),
            D("22000.00"),
        )
        assert exposure.available == D("18000.00")
        assert exposure.utilization_percent == D("55.0")

        # So a new order of 18,000.00 fits again, and 18,000.01 more would not.
        assert submitted(tenant, customer, "18000.00").status == "approved"
        late = submitted(tenant, customer, "0.01")
        assert late.hold_reasons[0]["message"].startswith("Over limit by EUR 0.01")

        actions = set(
            AuditEvent.objects.filter(object_type="credit.order").values_list("action", flat=True)
        )
        assert {
            "credit.order_approved",
            "credit.order_held",
            "credit.order_released",
            "credit.order_invoiced",
        } <= actions
    with tenant_context(tenant_b):
        theirs = customer_exposure(tenant=tenant_b, customer=bystander, today=today_of(tenant_b))
        assert theirs.open_ar == D("777.77")
