"""Invoicing released sales orders: drafts from the order's open lines,
partial invoicing, and exposure moving from the order to the ledger when the
invoice is issued."""

from __future__ import annotations

from decimal import Decimal

import pytest

from credit.models import Order, OrderStatus
from credit.selectors import customer_exposure
from credit.services import OrderLineInput, order_create, order_release, order_submit
from invoicing import services
from invoicing.models import Invoice, InvoiceLine, InvoiceOrigin
from otc.errors import ConflictError, NotFound, ValidationFailed
from otc.tenancy.context import tenant_context
from tests.credit.helpers import SYSTEM, set_limit, today_of
from tests.factories import CustomerFactory

D = Decimal


def _order(tenant, customer, *, limit: str = "100000") -> Order:
    set_limit(tenant, customer, limit)
    order = order_create(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        currency=str(tenant.base_currency),
        lines=[
            OrderLineInput(
                description="Drive unit", quantity=D(5), unit_price=D("199.99"), tax_rate=D(19)
            ),
            OrderLineInput(
                description="Cable set", quantity=D(3), unit_price=D("12.35"), tax_rate=D(7)
            ),
        ],
        order_date=today_of(tenant),
        customer_po="PO-7781",
    )
    return order_submit(tenant=tenant, actor=SYSTEM, order=order)


def _refresh(order: Order) -> Order:
    return Order.objects.for_tenant(order.tenant).get(pk=order.pk)


@pytest.fixture
def customer(in_tenant_a):
    return CustomerFactory(number="ORD-1", currency=str(in_tenant_a.base_currency))


def test_full_invoice_consumes_the_order_and_moves_exposure_to_the_ledger(in_tenant_a, customer):
    tenant = in_tenant_a
    order = _order(tenant, customer)
    assert order.status == OrderStatus.APPROVED
    before = customer_exposure(tenant=tenant, customer=customer, today=today_of(tenant))
    assert before.open_orders == order.base_amount

    draft = services.invoice_draft_from_order(tenant=tenant, actor=SYSTEM, order_id=order.pk)
    assert draft.origin == InvoiceOrigin.ORDER
    assert draft.source_order_id == order.pk
    assert draft.po_number == "PO-7781"
    lines = list(InvoiceLine.objects.for_tenant(tenant).filter(invoice=draft))
    assert [(line.description, line.quantity) for line in lines] == [
        ("Drive unit", D(5)),
        ("Cable set", D(3)),
    ]
    # A draft moves no exposure.
    assert _refresh(order).invoiced_amount == 0

    invoice = services.invoice_issue(tenant=tenant, actor=SYSTEM, invoice=draft)
    order = _refresh(order)
    assert order.status == OrderStatus.INVOICED
    assert order.invoiced_amount == order.released_amount == order.total_amount
    assert order.open_base_amount == 0
    after = customer_exposure(tenant=tenant, customer=customer, today=today_of(tenant))
    assert after.open_orders == 0
    assert after.open_ar == invoice.base_gross_amount
    # 5 x 199.99 = 999.95 + 19 % 189.99; 3 x 12.35 = 37.05 + 7 % 2.59
    assert invoice.gross_amount == D("1229.58")


def test_partial_invoicing_reduces_the_open_order_and_offers_the_rest(in_tenant_a, customer):
    tenant = in_tenant_a
    order = _order(tenant, customer)
    drive, cable = order.lines.order_by("position")
    first = services.invoice_draft_from_order(
        tenant=tenant, actor=SYSTEM, order_id=order.pk, quantities={drive.pk: D(2)}
    )
    first = services.invoice_issue(tenant=tenant, actor=SYSTEM, invoice=first)
    assert first.gross_amount == D("475.98")  # 399.98 + 76.00 tax
    order = _refresh(order)
    assert order.status == OrderStatus.PARTIALLY_INVOICED
    assert order.invoiced_amount == D("475.98")
    assert order.open_base_amount == order.total_amount - D("475.98")

    rows = {row.line.pk: row for row in services.order_lines_to_invoice(tenant=tenant, order=order)}
    assert rows[drive.pk].remaining == D(3)
    assert rows[cable.pk].remaining == D(3)

    rest = services.invoice_draft_from_order(tenant=tenant, actor=SYSTEM, order_id=order.pk)
    rest = services.invoice_issue(tenant=tenant, actor=SYSTEM, invoice=rest)
    order = _refresh(order)
    assert order.status == OrderStatus.INVOICED
    assert order.invoiced_amount == order.total_amount
    assert first.gross_amount + rest.gross_amount == order.total_amount
    with pytest.raises(ConflictError):
        services.invoice_draft_from_order(tenant=tenant, actor=SYSTEM, order_id=order.pk)


def test_quantities_beyond_what_is_left_are_refused_and_nothing_is_written(in_tenant_a, customer):
    tenant = in_tenant_a
    order = _order(tenant, customer)
    drive, _ = order.lines.order_by("position")
    count = Invoice.objects.for_tenant(tenant).count()
    with pytest.raises(ValidationFailed) as caught:
        services.invoice_draft_from_order(
            tenant=tenant, actor=SYSTEM, order_id=order.pk, quantities={drive.pk: D(6)}
        )
    assert f"lines.{drive.pk}" in caught.value.errors
    with pytest.raises(ValidationFailed):
        services.invoice_draft_from_order(
            tenant=tenant, actor=SYSTEM, order_id=order.pk, quantities={999_999: D(1)}
        )
    assert Invoice.objects.for_tenant(tenant).count() == count


def test_a_partial_release_caps_what_can_be_invoiced(in_tenant_a, customer):
    tenant = in_tenant_a
    order = _order(tenant, customer, limit="500")
    assert order.status == OrderStatus.HELD
    with pytest.raises(ConflictError):
        services.invoice_draft_from_order(tenant=tenant, actor=SYSTEM, order_id=order.pk)
    order = order_release(tenant=tenant, actor=SYSTEM, order=order, amount=D("500.00"))
    draft = services.invoice_draft_from_order(tenant=tenant, actor=SYSTEM, order_id=order.pk)
    with pytest.raises(ConflictError) as caught:
        services.invoice_issue(tenant=tenant, actor=SYSTEM, invoice=draft)
    assert caught.value.code == "over_invoiced"
    # The issue rolled back whole: still a draft, no number, order untouched.
    draft.refresh_from_db()
    assert draft.is_draft
    assert draft.number == ""
    assert _refresh(order).invoiced_amount == 0


def test_edited_lines_keep_their_order_link_and_foreign_links_are_refused(in_tenant_a, customer):
    tenant = in_tenant_a
    order = _order(tenant, customer)
    other = _order(tenant, CustomerFactory(number="ORD-2"))
    draft = services.invoice_draft_from_order(tenant=tenant, actor=SYSTEM, order_id=order.pk)
    lines = [
        services.LineInput.from_line(line)
        for line in InvoiceLine.objects.for_tenant(tenant).filter(invoice=draft)
    ]
    foreign = other.lines.first()
    tampered = [lines[0], services.LineInput(**{**lines[1].__dict__, "order_line_id": foreign.pk})]
    services.invoice_update_draft(
        tenant=tenant, actor=SYSTEM, invoice=draft, data={}, lines=tampered
    )
    with pytest.raises(ValidationFailed):
        services.invoice_issue(tenant=tenant, actor=SYSTEM, invoice=draft)
    assert _refresh(order).invoiced_amount == 0


def test_the_other_tenants_order_reads_as_missing(in_tenant_a, customer, tenant_b):
    tenant = in_tenant_a
    order = _order(tenant, customer)
    with tenant_context(tenant_b), pytest.raises(NotFound):
        services.invoice_draft_from_order(tenant=tenant_b, actor=SYSTEM, order_id=order.pk)
    assert _refresh(order).status == OrderStatus.APPROVED
    assert Invoice.objects.for_tenant(tenant).filter(source_order=order).count() == 0


def test_api_drafts_from_an_order_and_hides_other_tenants(api_client_for, tenant_a, tenant_b):
    with tenant_context(tenant_a):
        customer = CustomerFactory(number="ORD-API", currency=str(tenant_a.base_currency))
        order = _order(tenant_a, customer)
        drive = order.lines.order_by("position").first()
    client = api_client_for(tenant_a)
    answer = client.post(
        "/api/v1/invoices/from-order/",
        {"order_id": order.pk, "lines": [{"order_line_id": drive.pk, "quantity": "1"}]},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["source_order_id"] == order.pk
    assert [line["order_line_id"] for line in body["lines"]] == [drive.pk]
    assert body["gross_amount"] == "237.99"  # 199.99 + 19 % 38.00

    too_much = client.post(
        "/api/v1/invoices/from-order/",
        {"order_id": order.pk, "lines": [{"order_line_id": drive.pk, "quantity": "5"}]},
        format="json",
    )
    assert too_much.status_code == 422
    assert too_much["Content-Type"].startswith("application/problem+json")

    other = api_client_for(tenant_b).post(
        "/api/v1/invoices/from-order/", {"order_id": order.pk}, format="json"
    )
    assert other.status_code == 404
    with tenant_context(tenant_b):
        assert Invoice.objects.for_tenant(tenant_b).count() == 0


def test_order_page_links_to_the_invoicing_page_which_makes_the_draft(signed_in_client, tenant_a):
    with tenant_context(tenant_a):
        customer = CustomerFactory(number="ORD-WEB", currency=str(tenant_a.base_currency))
        order = _order(tenant_a, customer)
        drive, cable = order.lines.order_by("position")
    client = signed_in_client(tenant_a, "owner")
    page = client.get(f"/credit/orders/{order.pk}/")
    assert f"/invoices/from-order/{order.pk}/" in page.content.decode()
    form = client.get(f"/invoices/from-order/{order.pk}/")
    assert form.status_code == 200
    assert "Bill now" in form.content.decode()
    answer = client.post(
        f"/invoices/from-order/{order.pk}/",
        {f"quantity-{drive.pk}": "2", f"quantity-{cable.pk}": ""},
    )
    assert answer.status_code == 302
    with tenant_context(tenant_a):
        draft = Invoice.objects.for_tenant(tenant_a).get(source_order=order)
        assert [line.quantity for line in draft.lines.all()] == [D(2)]
    refused = client.post(f"/invoices/from-order/{order.pk}/", {f"quantity-{drive.pk}": "9"})
    assert refused.status_code == 200
    assert "left to invoice" in refused.content.decode()


def test_billing_runs_consume_orders_too(in_tenant_a, customer):
    tenant = in_tenant_a
    order = _order(tenant, customer)
    draft = services.invoice_draft_from_order(tenant=tenant, actor=SYSTEM, order_id=order.pk)
    (invoice,) = services.invoice_issue_many(tenant=tenant, actor=SYSTEM, invoices=[draft])
    order = _refresh(order)
    assert order.status == OrderStatus.INVOICED
    assert order.invoiced_amount == invoice.gross_amount == D("1229.58")
