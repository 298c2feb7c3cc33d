"""The invoice page's documents and e-mail: PDF preview in a frame with
downloads, the "being generated" state that polls, DRAFT previews, the Send
action with its recipients, the delivery log and the outbox; roles and
tenant isolation on every URL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from invoicing.models import DeliveryStatus, InvoiceDelivery, InvoiceDocumentFile
from invoicing.services import invoice_documents_generate
from otc.tenancy.context import tenant_context
from tests.invoicing.doc_helpers import JAN, billed_customer, complete_seller
from tests.invoicing.documents.helpers import pdf_pages_text
from tests.invoicing.factories import draft_invoice, issued_invoice, line


@pytest.fixture
def seller(tenant_a):
    return complete_seller(tenant_a)


@pytest.fixture
def buyer(seller):
    with tenant_context(seller):
        return billed_customer(number="C-1", legal_name="Müller & Söhne KG")


@pytest.fixture
def invoice(seller, buyer):
    with tenant_context(seller):
        return issued_invoice(seller, buyer, [line("100.00", description="Pump")], issue_date=JAN)


@pytest.fixture
def generated(seller, invoice):
    with tenant_context(seller):
        invoice_documents_generate(tenant=seller, invoice=invoice)
    return invoice


@pytest.fixture
def clerk(signed_in_client, seller):
    return signed_in_client(seller, "ar_clerk")


@pytest.fixture
def collector(signed_in_client, seller):
    return signed_in_client(seller, "collector")


def url(name, invoice, **kwargs):
    return reverse(f"invoicing:{name}", kwargs={"pk": invoice.pk, **kwargs})


# --- the documents panel -------------------------------------------------------------------


def test_the_page_shows_the_stored_pdf_in_a_frame_with_downloads(clerk, generated):
    body = clerk.get(url("detail", generated)).content.decode()
    frame = url("document_download", generated, kind="pdf") + "?inline=1"
    assert f'src="{frame}"' in body
    assert url("document_download", generated, kind="pdf") in body
    assert url("document_download", generated, kind="ubl") in body
    assert url("document_download", generated, kind="facturx") in body
    assert "being generated" not in body
    assert 'hx-trigger="every' not in body
    assert url("send", generated) in body  # the Send… action


def test_without_stored_files_the_panel_polls_and_asks_the_worker_once(
    clerk, seller, invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        body = clerk.get(url("detail", invoice)).content.decode()
        clerk.get(url("documents", invoice))  # the poll: no second request to the worker
    assert "The PDF is being generated" in body
    assert f'hx-get="{url("documents", invoice)}"' in body
    assert 'hx-trigger="every 2s"' in body
    assert len(callbacks) == 1


def test_a_poll_that_still_finds_no_files_renders_them_itself(clerk, seller, invoice):
    """The worker may be busy with a billing run: the person waiting for
    this one document gets it at the first poll."""
    response = clerk.get(url("documents", invoice), HTTP_HX_REQUEST="true")
    assert "document-frame" in response.content.decode()
    with tenant_context(seller):
        assert InvoiceDocumentFile.objects.filter(invoice=invoice).count() == 2


def test_the_poll_answers_the_frame_once_the_files_exist(clerk, seller, invoice):
    with tenant_context(seller):
        invoice_documents_generate(tenant=seller, invoice=invoice)
    response = clerk.get(url("documents", invoice), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "document-frame" in body
    assert "hx-trigger" not in body
    assert "<html" not in body  # a fragment for htmx


def test_a_document_that_cannot_be_printed_lists_what_to_complete(clerk, seller):
    with tenant_context(seller):
        customer = billed_customer(number="C-FR", country="FR")
        invoice = issued_invoice(
            seller, customer, [line("10.00", rate="0", category="AE")], issue_date=JAN
        )
    body = clerk.get(url("detail", invoice)).content.decode()
    assert "The PDF cannot be produced yet" in body
    assert "on the customer page" in body
    assert url("documents_generate", invoice) in body
    assert "hx-trigger" not in body  # nothing to wait for


def test_outdated_files_offer_to_generate_again(clerk, seller, generated):
    seller.iban = "DE02120300000000202051"
    seller.save()
    body = clerk.get(url("detail", generated)).content.decode()
    assert "details changed since" in body
    assert url("documents_generate", generated) in body


def test_generate_again_enqueues_the_worker(
    clerk, seller, invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = clerk.post(url("documents_generate", invoice))
    assert response.status_code == 302
    assert response["Location"].endswith("#documents")
    assert len(callbacks) == 1


# --- downloads ------------------------------------------------------------------------------


def test_downloads_answer_the_stored_files(clerk, seller, generated):
    pdf = clerk.get(url("document_download", generated, kind="pdf"))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="{generated.number}.pdf"'
    assert generated.number in "".join(pdf_pages_text(pdf.content))
    inline = clerk.get(url("document_download", generated, kind="pdf") + "?inline=1")
    assert inline["Content-Disposition"].startswith("inline;")
    assert inline["X-Frame-Options"] == "SAMEORIGIN"  # framed by our own page only
    ubl = clerk.get(url("document_download", generated, kind="ubl"))
    assert ubl["Content-Type"] == "application/xml"
    assert b"<Invoice" in ubl.content
    cii = clerk.get(url("document_download", generated, kind="facturx"))
    assert b"CrossIndustryInvoice" in cii.content
    assert cii["Content-Disposition"].endswith('-factur-x.xml"')
    with tenant_context(seller):
        stored = InvoiceDocumentFile.objects.get(invoice=generated, kind="ubl")
    with stored.file.open("rb") as handle:
        assert ubl.content == handle.read()


def test_downloads_before_generation_and_unknown_kinds_are_404(clerk, invoice):
    assert clerk.get(url("document_download", invoice, kind="pdf")).status_code == 404
    assert clerk.get(url("document_download", invoice, kind="exe")).status_code == 404


def test_a_draft_shows_its_preview_marked_draft(clerk, seller, buyer):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, [line("100.00", description="Pump")])
    body = clerk.get(url("detail", draft)).content.decode()
    assert f'src="{url("draft_preview", draft)}"' in body
    preview = clerk.get(url("draft_preview", draft))
    assert preview.status_code == 200
    assert preview["Content-Type"] == "application/pdf"
    assert "DRAFT" in pdf_pages_text(preview.content)[0]
    with tenant_context(seller):
        assert not InvoiceDocumentFile.objects.exists()


def test_an_empty_draft_says_why_there_is_no_preview(clerk, seller, buyer):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, [])
    body = clerk.get(url("detail", draft)).content.decode()
    assert "No preview yet" in body
    assert clerk.get(url("draft_preview", draft)).status_code == 409


def test_issued_documents_have_no_draft_preview(clerk, invoice):
    assert clerk.get(url("draft_preview", invoice)).status_code == 404


# --- sending ----------------------------------------------------------------------------------


def test_the_send_page_names_the_ap_contacts_and_sends(clerk, seller, invoice):
    page = clerk.get(url("send", invoice)).content.decode()
    assert "Anna Weber &lt;ap@c-1.example&gt;" in page
    assert 'type="checkbox"' in page
    response = clerk.post(
        url("send", invoice), {"recipients": ["ap@c-1.example"], "other": "cfo@example.com"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#deliveries")
    with tenant_context(seller):
        delivery = InvoiceDelivery.objects.get()
    assert delivery.recipients == ["ap@c-1.example", "cfo@example.com"]
    assert delivery.requested_by == clerk.user
    body = clerk.get(url("detail", invoice)).content.decode()
    assert "ap@c-1.example, cfo@example.com" in body
    assert "Waiting for the mail worker" in body
    assert f'hx-get="{url("deliveries", invoice)}"' in body  # polls while on its way


def test_the_send_page_says_no_ap_contact(clerk, seller):
    with tenant_context(seller):
        customer = billed_customer(number="C-2")
        customer.contacts.update(roles=["dunning"])
        invoice = issued_invoice(seller, customer, [line("10.00")], issue_date=JAN)
    page = clerk.get(url("send", invoice)).content.decode()
    assert "No AP contact" in page
    response = clerk.post(url("send", invoice), {"other": ""})
    assert response.status_code == 200
    assert "Choose at least one recipient" in response.content.decode()
    response = clerk.post(url("send", invoice), {"other": "someone, else@example.com"})
    assert "&#x27;someone&#x27; is not an e-mail address." in response.content.decode()
    with tenant_context(seller):
        assert not InvoiceDelivery.objects.exists()


def test_drafts_cannot_be_sent(clerk, seller, buyer):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, [line("10.00")])
    assert url("send", draft) not in clerk.get(url("detail", draft)).content.decode()
    page = clerk.get(url("send", draft)).content.decode()
    assert "issue it before sending it" in page
    clerk.post(url("send", draft), {"recipients": ["ap@c-1.example"]})
    with tenant_context(seller):
        assert not InvoiceDelivery.objects.exists()


def test_the_delivery_log_shows_sent_and_failed(clerk, seller, invoice):
    with tenant_context(seller):
        InvoiceDelivery.objects.create(
            tenant=seller,
            invoice=invoice,
            recipients=["ap@c-1.example"],
            status=DeliveryStatus.FAILED,
            attempts=1,
            failure_reason="The mail server answered 550: No such user (refused for good)",
        )
        from django.utils import timezone

        InvoiceDelivery.objects.create(
            tenant=seller,
            invoice=invoice,
            recipients=["ap@c-1.example"],
            status=DeliveryStatus.SENT,
            attempts=1,
            sent_at=timezone.now(),
            message_id="<invoice-1@otc.local>",
        )
    response = clerk.get(url("deliveries", invoice))
    body = response.content.decode()
    assert body.count('data-testid="delivery-row"') == 2
    assert "550: No such user" in body
    assert "&lt;invoice-1@otc.local&gt;" in body
    assert "hx-trigger" not in body  # nothing in flight


# --- roles -------------------------------------------------------------------------------------


def test_a_collector_reads_documents_but_neither_sends_nor_regenerates(collector, generated):
    body = collector.get(url("detail", generated)).content.decode()
    assert url("send", generated) not in body
    assert collector.get(url("document_download", generated, kind="pdf")).status_code == 200
    assert collector.get(url("documents", generated)).status_code == 200
    assert collector.get(url("deliveries", generated)).status_code == 200
    assert collector.get(url("send", generated)).status_code == 403
    assert collector.post(url("send", generated), {"other": "x@example.com"}).status_code == 403
    assert collector.post(url("documents_generate", generated)).status_code == 403
    assert collector.get(reverse("invoicing:outbox")).status_code == 200


def test_an_executive_sees_no_invoice_documents(signed_in_client, seller, generated):
    executive = signed_in_client(seller, "executive")
    assert executive.get(url("document_download", generated, kind="pdf")).status_code == 403
    assert executive.get(reverse("invoicing:outbox")).status_code == 403


@pytest.mark.parametrize(
    ("name", "kwargs", "method"),
    [
        ("documents", {}, "get"),
        ("documents_generate", {}, "post"),
        ("document_download", {"kind": "pdf"}, "get"),
        ("document_download", {"kind": "ubl"}, "get"),
        ("document_download", {"kind": "facturx"}, "get"),
        ("draft_preview", {}, "get"),
        ("send", {}, "get"),
        ("send", {}, "post"),
        ("deliveries", {}, "get"),
    ],
)
def test_another_tenants_invoice_is_404_everywhere(
    signed_in_client, tenant_b, generated, seller, name, kwargs, method
):
    other = signed_in_client(tenant_b, "owner")
    response = getattr(other, method)(url(name, generated, **kwargs))
    assert response.status_code == 404
    with tenant_context(seller):
        assert not InvoiceDelivery.objects.exists()


# --- the outbox ----------------------------------------------------------------------------------


def _deliveries(tenant, invoice, count, status=DeliveryStatus.QUEUED):
    with tenant_context(tenant):
        return [
            InvoiceDelivery.objects.create(
                tenant=tenant,
                invoice=invoice,
                recipients=[f"r{n}@example.com"],
                status=status,
                failure_reason="Connection refused" if status == "failed" else "",
            )
            for n in range(count)
        ]


def test_the_outbox_lists_newest_first_filters_and_pages(clerk, seller, invoice, tenant_b):
    _deliveries(seller, invoice, 3, DeliveryStatus.FAILED)
    queued = _deliveries(seller, invoice, 52)
    with tenant_context(tenant_b):
        customer = billed_customer(number="B-1")
        other_invoice = issued_invoice(tenant_b, customer, [line("10.00")], issue_date=JAN)
    _deliveries(tenant_b, other_invoice, 2)
    outbox = reverse("invoicing:outbox")

    first = clerk.get(outbox)
    rows = first.context["listing"].page.object_list
    assert first.context["listing"].page.paginator.count == 55
    assert rows[0].pk == queued[-1].pk  # newest first
    assert len(rows) == 50
    assert [c for _, _, c in first.context["status_tabs"]] == [52, 0, 0, 3]
    second = clerk.get(outbox, {"page": 2})
    assert len(second.context["listing"].page.object_list) == 5

    failed = clerk.get(outbox, {"status": "failed"})
    assert failed.context["listing"].page.paginator.count == 3
    assert "Connection refused" in failed.content.decode()
    found = clerk.get(outbox, {"q": "r51@example"})
    assert [d.pk for d in found.context["listing"].page.object_list] == [queued[-1].pk]
    by_number = clerk.get(outbox, {"q": invoice.number})
    assert by_number.context["listing"].page.paginator.count == 55
    bad = clerk.get(outbox, {"status": "exploded"})
    assert bad.status_code == 200
    assert "Select a valid choice" in bad.content.decode()


def test_the_outbox_is_in_the_billing_menu(clerk):
    body = clerk.get(reverse("invoicing:outbox")).content.decode()
    assert f'href="{reverse("invoicing:outbox")}"' in body
    assert "Nothing sent yet" in body
