"""The documents and delivery API: GET /invoices/{id}/pdf/ and /xml/ answer
the stored files (rendering them within the request when the worker has not
yet), POST /invoices/{id}/send/ queues an e-mail, GET .../deliveries/ reads
the log; problems as problem+json; roles and tenant isolation."""

from __future__ import annotations

import pytest
from lxml import etree

from invoicing.models import InvoiceDelivery, InvoiceDocumentFile
from invoicing.services import credit_memo_create
from otc.tenancy.context import tenant_context
from tests.invoicing.doc_helpers import JAN, billed_customer, complete_seller
from tests.invoicing.documents.helpers import pdf_pages_text
from tests.invoicing.factories import SYSTEM, draft_invoice, issued_invoice, line

PROBLEM = "application/problem+json"


@pytest.fixture
def seller(tenant_a):
    return complete_seller(tenant_a)


@pytest.fixture
def buyer(seller):
    with tenant_context(seller):
        return billed_customer(number="C-1")


@pytest.fixture
def invoice(seller, buyer):
    with tenant_context(seller):
        return issued_invoice(
            seller, buyer, [line("100.00", description="Pump"), line("5.00", "3")], issue_date=JAN
        )


@pytest.fixture
def erp(api_client_for, seller):
    return api_client_for(seller)


@pytest.fixture
def erp_b(api_client_for, tenant_b):
    return api_client_for(tenant_b)


def url(invoice, action):
    return f"/api/v1/invoices/{invoice.pk}/{action}/"


def stored(tenant, invoice):
    with tenant_context(tenant):
        return {r.kind: r for r in InvoiceDocumentFile.objects.filter(invoice=invoice)}


# --- PDF --------------------------------------------------------------------------------------


def test_the_pdf_is_rendered_on_first_request_and_served_as_stored_after(erp, seller, invoice):
    response = erp.get(url(invoice, "pdf"), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    text = "".join(pdf_pages_text(response.content))
    assert invoice.number in text
    assert "Pump" in text
    rows = stored(seller, invoice)
    assert set(rows) == {"pdf", "ubl"}
    again = erp.get(url(invoice, "pdf"))
    assert again.content == response.content
    assert stored(seller, invoice)["pdf"].generated_at == rows["pdf"].generated_at


def test_a_drafts_pdf_is_its_draft_preview(erp, seller, buyer):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, [line("10.00")])
    response = erp.get(url(draft, "pdf"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="draft-{draft.pk}-draft.pdf"'
    assert "DRAFT" in pdf_pages_text(response.content)[0]
    assert stored(seller, draft) == {}


def test_a_document_that_cannot_be_printed_is_422_with_what_to_complete(erp, seller):
    with tenant_context(seller):
        customer = billed_customer(number="C-FR", country="FR")
        invoice = issued_invoice(
            seller, customer, [line("10.00", rate="0", category="AE")], issue_date=JAN
        )
    response = erp.get(url(invoice, "pdf"))
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "urn:otc:problem:document_incomplete"
    assert any("buyer VAT id" in error["message"] for error in problem["errors"])


# --- XML ----------------------------------------------------------------------------------------


def test_the_xml_is_factur_x_by_default_and_ubl_on_request(erp, seller, invoice):
    cii = erp.get(url(invoice, "xml"))
    assert cii.status_code == 200
    assert cii["Content-Type"] == "application/xml"
    assert etree.fromstring(cii.content).tag.endswith("}CrossIndustryInvoice")
    assert cii["Content-Disposition"].endswith('-factur-x.xml"')
    assert erp.get(url(invoice, "xml"), {"format": "facturx"}).content == cii.content
    ubl = erp.get(url(invoice, "xml"), {"format": "ubl"})
    assert ubl.status_code == 200
    root = etree.fromstring(ubl.content)
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
    with stored(seller, invoice)["ubl"].file.open("rb") as handle:
        assert ubl.content == handle.read()


def test_a_credit_memo_is_a_ubl_credit_note(erp, seller, invoice):
    with tenant_context(seller):
        memo = credit_memo_create(
            tenant=seller, actor=SYSTEM, related_invoice=invoice, lines=[line("100.00")]
        )
    root = etree.fromstring(erp.get(url(memo, "xml"), {"format": "ubl"}).content)
    assert root.tag.endswith("}CreditNote")


def test_an_unknown_format_is_400(erp, invoice):
    response = erp.get(url(invoice, "xml"), {"format": "pdf"})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "format"


def test_drafts_and_imports_have_no_xml(erp, seller, buyer, invoice):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, [line("10.00")])
    response = erp.get(url(draft, "xml"))
    assert response.status_code == 409
    assert response.json()["type"] == "urn:otc:problem:no_document"
    with tenant_context(seller):
        type(invoice).objects.filter(pk=invoice.pk).update(origin="import")
    response = erp.get(url(invoice, "pdf"))
    assert response.status_code == 409
    assert "old system" in response.json()["detail"]


# --- send and deliveries -------------------------------------------------------------------


def test_send_queues_a_delivery_to_the_ap_contacts(
    erp, seller, invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = erp.post(url(invoice, "send"), {})
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"
    assert body["recipients"] == ["ap@c-1.example"]
    assert body["invoice_id"] == invoice.pk
    assert (body["attempts"], body["message_id"], body["sent_at"]) == (0, "", None)
    assert len(callbacks) == 1  # the mail worker, after commit
    listed = erp.get(url(invoice, "deliveries")).json()
    assert [d["id"] for d in listed["results"]] == [body["id"]]
    assert listed["next"] is None


def test_send_to_named_recipients_and_bad_ones(erp, seller, invoice):
    response = erp.post(url(invoice, "send"), {"recipients": ["cfo@example.com"]})
    assert response.json()["recipients"] == ["cfo@example.com"]
    bad = erp.post(url(invoice, "send"), {"recipients": ["nope"]})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "recipients[0]"
    unknown = erp.post(url(invoice, "send"), {"to": ["cfo@example.com"]})
    assert unknown.status_code == 400


def test_send_without_an_ap_contact_is_422(erp, seller):
    with tenant_context(seller):
        customer = billed_customer(number="C-2")
        customer.contacts.update(roles=[])
        invoice = issued_invoice(seller, customer, [line("10.00")], issue_date=JAN)
    response = erp.post(url(invoice, "send"), {})
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:otc:problem:no_ap_contact"
    assert problem["errors"][0]["field"] == "recipients"
    assert "No AP contact" in problem["errors"][0]["message"]


def test_a_draft_cannot_be_sent(erp, seller, buyer):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, [line("10.00")])
    response = erp.post(url(draft, "send"), {})
    assert response.status_code == 409
    assert response.json()["type"] == "urn:otc:problem:not_issued"


def test_send_is_idempotent_per_key(erp, seller, invoice):
    first = erp.post(url(invoice, "send"), {}, idempotency_key="send-once")
    replay = erp.post(url(invoice, "send"), {}, idempotency_key="send-once")
    assert replay.json() == first.json()
    with tenant_context(seller):
        assert InvoiceDelivery.objects.count() == 1


def test_a_read_only_key_reads_but_does_not_send(api_client_for, seller, invoice):
    auditor = api_client_for(seller, role="auditor")
    assert auditor.get(url(invoice, "pdf")).status_code == 200
    assert auditor.get(url(invoice, "deliveries")).status_code == 200
    assert auditor.post(url(invoice, "send"), {}).status_code == 403
    with tenant_context(seller):
        assert not InvoiceDelivery.objects.exists()


@pytest.mark.parametrize(
    ("action", "method"),
    [("pdf", "get"), ("xml", "get"), ("send", "post"), ("deliveries", "get")],
)
def test_another_tenants_invoice_is_404(erp_b, seller, invoice, action, method):
    response = getattr(erp_b, method)(
        url(invoice, action), **({"data": {}} if method == "post" else {})
    )
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert stored(seller, invoice) == {}
    with tenant_context(seller):
        assert not InvoiceDelivery.objects.exists()


# --- the schema says what these answer -------------------------------------------------------


def test_the_schema_describes_files_and_problems(db, client):
    schema = client.get("/api/v1/schema/?format=json").json()
    pdf = schema["paths"]["/api/v1/invoices/{invoice_id}/pdf/"]["get"]["responses"]
    assert pdf["200"]["content"] == {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}
    }
    assert set(pdf) >= {"200", "401", "403", "404", "409", "422", "429"}
    assert PROBLEM in pdf["422"]["content"]
    xml = schema["paths"]["/api/v1/invoices/{invoice_id}/xml/"]["get"]
    assert "application/xml" in xml["responses"]["200"]["content"]
    fmt = next(p for p in xml["parameters"] if p["name"] == "format")
    assert fmt["schema"]["enum"] == ["facturx", "ubl"]
    send = schema["paths"]["/api/v1/invoices/{invoice_id}/send/"]["post"]
    assert "202" in send["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in send["parameters"])
