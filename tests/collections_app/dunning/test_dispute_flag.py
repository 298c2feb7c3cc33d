"""Flagging a dispute from the collections customer page hands the invoice
to the deductions process; the other tenant's invoices stay out of reach."""

from __future__ import annotations

from decimal import Decimal

import pytest

from collections_app.dunning.models import CollectionActivity
from deductions.models import Deduction, DeductionSource
from otc.ledger.models import OpenItem
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory
from tests.invoicing.factories import issued_invoice, line

pytestmark = pytest.mark.django_db


def test_dispute_from_the_customer_page_opens_a_deduction(tenant_a, tenant_b, signed_in_client):
    with tenant_context(tenant_b):
        other_customer = CustomerFactory(number="B-1", legal_name="Bravo Buyer", currency="USD")
        other_invoice = issued_invoice(tenant_b, other_customer, [line("80.00")])
    with tenant_context(tenant_a):
        acme = CustomerFactory(number="A-1", legal_name="Acme GmbH", currency="EUR")
        invoice = issued_invoice(tenant_a, acme, [line("100.00")])  # 119.00 with tax
        stranger = CustomerFactory(number="A-2", legal_name="Other GmbH", currency="EUR")
        strangers_invoice = issued_invoice(tenant_a, stranger, [line("10.00")])
    client = signed_in_client(tenant_a, "collector")
    page = client.get(f"/collections/customers/{acme.pk}/").content.decode()
    assert "Flag a dispute" in page
    assert invoice.number in page

    url = f"/collections/customers/{acme.pk}/dispute/"
    response = client.post(
        url,
        {"dispute-invoice": str(invoice.pk), "dispute-amount": "40.00", "dispute-note": "Damaged"},
        follow=True,
    )
    assert "40.00 EUR handed to deductions" in response.content.decode()
    with tenant_context(tenant_a):
        deduction = Deduction.objects.get()
        assert (deduction.amount, deduction.source) == (Decimal("40.00"), DeductionSource.DISPUTE)
        assert OpenItem.objects.get(pk=invoice.open_item_id).open_amount == Decimal("79.00")
        assert CollectionActivity.objects.get(customer=acme).subject == (
            f"Dispute on {invoice.number}: 40.00 EUR handed to deductions"
        )

    too_much = client.post(
        url,
        {"dispute-invoice": str(invoice.pk), "dispute-amount": "-1", "dispute-note": "x"},
        follow=True,
    )
    assert "Ensure this value is greater than or equal to 0" in too_much.content.decode()
    # Another customer's invoice, or another tenant's, is not offered and not accepted.
    for foreign in (strangers_invoice, other_invoice):
        refused = client.post(
            url, {"dispute-invoice": str(foreign.pk), "dispute-note": "x"}, follow=True
        )
        assert "Select a valid choice" in refused.content.decode()
    assert (
        client.post(
            f"/collections/customers/{other_customer.pk}/dispute/",
            {"dispute-invoice": str(other_invoice.pk), "dispute-note": "x"},
        ).status_code
        == 404
    )
    with tenant_context(tenant_a):
        assert Deduction.objects.count() == 1
    with tenant_context(tenant_b):
        assert Deduction.objects.count() == 0
