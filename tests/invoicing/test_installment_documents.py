"""An invoice issued in installments on paper, in its e-invoices and over the
API: the schedule (date and amount of every part) is printed, stated in the
Factur-X and UBL payment terms (both still valid), and listed by the API
with what is open on each part."""

from __future__ import annotations

from decimal import Decimal

import pytest
from facturx import get_facturx_xml_from_pdf

from invoicing.documents.facturx import check_facturx_xml
from invoicing.documents.ubl import check_ubl_xml
from invoicing.models import InvoiceDocumentFile
from invoicing.services import (
    invoice_documents_generate,
    invoice_issue,
    invoices_refresh_for_items,
)
from otc.customers.services import payment_terms_create
from otc.ledger.models import ApplicationKind, ItemKind
from otc.ledger.services import ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from tests.invoicing.doc_helpers import JAN, billed_customer, complete_seller
from tests.invoicing.documents.helpers import CII_SCHEMATRON, pdf_pages_text, schematron_failures
from tests.invoicing.factories import SYSTEM, draft_invoice, line

D = Decimal


@pytest.fixture
def seller(tenant_a):
    return complete_seller(tenant_a)


@pytest.fixture
def split_invoice(seller):
    with tenant_context(seller):
        terms = payment_terms_create(
            tenant=seller,
            actor=SYSTEM,
            code="3X30",
            name="3 installments, 30/30/40 % at 30/60/90 days",
            net_days=90,
            installments=[
                {"share_percent": D(30), "net_days": 30, "kind": "net"},
                {"share_percent": D(30), "net_days": 60, "kind": "net"},
                {"share_percent": D(40), "net_days": 90, "kind": "net"},
            ],
        )
        buyer = billed_customer(number="C-3X", tax_id="DE129273398", payment_terms=terms)
        draft = draft_invoice(seller, buyer, [line("1000.00", description="Press brake service")])
        return invoice_issue(tenant=seller, actor=SYSTEM, invoice=draft, issue_date=JAN)


@pytest.mark.usefixtures("eager_tasks")
def test_pdf_facturx_and_ubl_carry_the_schedule(seller, split_invoice):
    with tenant_context(seller):
        invoice_documents_generate(tenant=seller, invoice=split_invoice)
        rows = {row.kind: row for row in InvoiceDocumentFile.objects.filter(invoice=split_invoice)}
    with rows["pdf"].file.open("rb") as handle:
        pdf = handle.read()
    with rows["ubl"].file.open("rb") as handle:
        ubl = handle.read()

    text = "\n".join(pdf_pages_text(pdf))
    for part, day, amount in (
        ("1/3", "Feb 4, 2026", "€357.00"),
        ("2/3", "Mar 6, 2026", "€357.00"),
        ("3/3", "Apr 5, 2026", "€476.00"),
    ):
        assert part in text
        assert day in text
        assert amount in text

    _, xml = get_facturx_xml_from_pdf(pdf, check_xsd=False)
    check_facturx_xml(xml)
    assert not [f for f in schematron_failures(xml, CII_SCHEMATRON) if "(fatal)" in f]
    cii = xml.decode()
    assert "20260204" in cii  # BT-9: the first installment's date
    assert "Payment schedule: 1/3" in cii
    assert "3/3 €476.00" in cii

    check_ubl_xml(ubl)
    ubl_text = ubl.decode()
    assert "<cbc:DueDate>2026-02-04</cbc:DueDate>" in ubl_text
    assert "Payment schedule: 1/3" in ubl_text


def test_api_detail_lists_installments_with_what_is_open(
    api_client_for, seller, split_invoice, tenant_b
):
    with tenant_context(seller):
        first = split_invoice.open_item
        payment = ledger_item_post(
            tenant=seller,
            actor=SYSTEM,
            customer=split_invoice.customer,
            kind=ItemKind.PAYMENT,
            number="PAY-1",
            currency="EUR",
            amount=D("357.00"),
            document_date=JAN,
        )
        ledger_apply(
            tenant=seller,
            actor=SYSTEM,
            debit_item_id=first.pk,
            credit_item_id=payment.pk,
            amount=D("357.00"),
            effective_date=JAN,
            kind=ApplicationKind.CASH,
        )
        invoices_refresh_for_items(tenant=seller, open_item_ids=[first.pk])
    erp = api_client_for(seller)
    body = erp.get(f"/api/v1/invoices/{split_invoice.pk}/").json()
    assert (body["status"], body["open_amount"], body["due_date"]) == (
        "partially_paid",
        "833.00",
        "2026-02-04",
    )
    assert body["installment_count"] == 3
    assert [
        (p["sequence"], p["due_date"], p["amount"], p["base_amount"], p["open_amount"])
        for p in body["installments"]
    ] == [
        (1, "2026-02-04", "357.00", "357.00", "0.00"),
        (2, "2026-03-06", "357.00", "357.00", "357.00"),
        (3, "2026-04-05", "476.00", "476.00", "476.00"),
    ]
    listed = erp.get("/api/v1/invoices/").json()["results"]
    assert [(i["number"], i["open_amount"]) for i in listed] == [(split_invoice.number, "833.00")]
    assert api_client_for(tenant_b).get(f"/api/v1/invoices/{split_invoice.pk}/").status_code == 404


def test_invoice_page_shows_the_schedule(client, owner_a, seller, split_invoice):
    client.force_login(owner_a)
    page = client.get(f"/invoices/{split_invoice.pk}/").content.decode()
    assert page.count('data-testid="installment-row"') == 3
    assert "476.00" in page
