"""Stored documents: issuing enqueues the worker, which renders the Factur-X
PDF and the UBL XML once and keeps them in storage; running it again on
unchanged data replaces nothing; data fixed later replaces them; drafts are
previewed on request and never stored."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from hashlib import sha256

import pytest
from django.core.files.storage import default_storage
from django.db import connections
from facturx import get_facturx_xml_from_pdf

from invoicing.documents.facturx import check_facturx_xml
from invoicing.documents.ubl import check_ubl_xml
from invoicing.documents.xsd import SchemaValidationError
from invoicing.models import InvoiceDocumentFile
from invoicing.services import (
    DocumentUnavailable,
    invoice_documents_generate,
    invoice_issue,
    invoice_issue_many,
    invoice_preview_pdf,
)
from invoicing.services.document_files import STORAGE_PREFIX, DocumentIncomplete
from invoicing.tasks import generate_invoice_documents, generate_invoice_documents_batch
from otc.errors import ValidationFailed
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory, TenantFactory
from tests.invoicing.doc_helpers import JAN, billed_customer, complete_seller
from tests.invoicing.documents.helpers import (
    CII_SCHEMATRON,
    pdf_pages_text,
    schematron_failures,
)
from tests.invoicing.factories import SYSTEM, draft_invoice, issued_invoice, line


@pytest.fixture
def seller(tenant_a):
    return complete_seller(tenant_a, logo=True)


@pytest.fixture
def buyer(seller, terms_a):
    with tenant_context(seller):
        return billed_customer(number="C-1", tax_id="DE129273398", payment_terms=terms_a)


def stored(tenant, invoice):
    with tenant_context(tenant):
        return {row.kind: row for row in InvoiceDocumentFile.objects.filter(invoice=invoice)}


def content(row):
    with row.file.open("rb") as handle:
        return handle.read()


LINES = [
    line("1249.00", "2", description="Hydraulic pump HP-220"),
    line("38.90", "5", rate="7", discount="5", description="Stainless steel fitting DN25"),
    line("95.00", "3.5", description="On-site installation", unit="HUR"),
]


# --- issuing enqueues, the worker stores ------------------------------------------------


@pytest.mark.usefixtures("eager_tasks")
def test_issuing_stores_a_facturx_pdf_and_a_ubl_xml(
    seller, buyer, django_capture_on_commit_callbacks
):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, LINES)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with tenant_context(seller):
            invoice = invoice_issue(tenant=seller, actor=SYSTEM, invoice=draft, issue_date=JAN)
    assert len(callbacks) == 1
    rows = stored(seller, invoice)
    assert set(rows) == {"pdf", "ubl"}
    pdf, ubl = content(rows["pdf"]), content(rows["ubl"])
    assert rows["pdf"].sha256 == sha256(pdf).hexdigest()
    assert rows["pdf"].size == len(pdf)
    assert rows["pdf"].file.name.startswith(f"invoice-documents/{seller.pk}/{invoice.pk}/")
    assert rows["pdf"].file.name.endswith(".pdf")
    assert rows["ubl"].file.name.endswith("-ubl-" + rows["ubl"].sha256[:12] + ".xml")

    # The PDF opens, shows the number and every line.
    text = "\n".join(pdf_pages_text(pdf))
    assert invoice.number in text
    for description in ("Hydraulic pump HP-220", "Stainless steel fitting DN25", "installation"):
        assert description in text
    assert "DE89 3704 0044 0532 0130 00" in text  # bank details with the IBAN

    # The Factur-X XML is attached, valid against the XSD and EN 16931 rules.
    filename, xml = get_facturx_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    check_facturx_xml(xml)
    assert invoice.number.encode() in xml
    assert not [f for f in schematron_failures(xml, CII_SCHEMATRON) if "(fatal)" in f]
    # The UBL is valid UBL 2.1 for the same invoice.
    check_ubl_xml(ubl)
    assert invoice.number.encode() in ubl


@pytest.mark.usefixtures("eager_tasks")
def test_a_billing_run_enqueues_one_message_for_all_its_invoices(
    seller, buyer, django_capture_on_commit_callbacks
):
    with tenant_context(seller):
        drafts = [draft_invoice(seller, buyer, [line(f"{n}0.00")]) for n in range(1, 4)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with tenant_context(seller):
            issued = invoice_issue_many(
                tenant=seller, actor=SYSTEM, invoices=drafts, issue_date=JAN
            )
    assert len(callbacks) == 1  # one batch message, fanned out by the worker
    for invoice in issued:
        assert set(stored(seller, invoice)) == {"pdf", "ubl"}


def test_nothing_is_enqueued_when_the_issue_rolls_back(
    seller, buyer, django_capture_on_commit_callbacks
):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, currency="USD")  # no USD rate: refused
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with tenant_context(seller), pytest.raises(ValidationFailed, match="No exchange rate"):
            invoice_issue(tenant=seller, actor=SYSTEM, invoice=draft, issue_date=JAN)
    assert callbacks == []


def test_the_batch_task_fans_out_one_task_per_invoice(seller, buyer, monkeypatch):
    calls = []
    monkeypatch.setattr(generate_invoice_documents, "delay", lambda *args: calls.append(args))
    generate_invoice_documents_batch(seller.pk, [11, 12, 13])
    assert calls == [(seller.pk, 11), (seller.pk, 12), (seller.pk, 13)]


# --- idempotency --------------------------------------------------------------------------


def test_generating_again_from_unchanged_data_replaces_nothing(seller, buyer):
    with tenant_context(seller):
        invoice = issued_invoice(seller, buyer, LINES, issue_date=JAN)
        first = invoice_documents_generate(tenant=seller, invoice=invoice)
        second = invoice_documents_generate(tenant=seller, invoice=invoice)
        generate_invoice_documents(seller.pk, invoice.pk)  # the task, run in-process
        assert InvoiceDocumentFile.objects.filter(invoice=invoice).count() == 2
    assert first.rendered
    assert not second.rendered
    rows = stored(seller, invoice)
    assert (rows["pdf"].pk, rows["pdf"].file.name, rows["pdf"].sha256) == (
        first.pdf.pk,
        first.pdf.file.name,
        first.pdf.sha256,
    )
    assert rows["pdf"].generated_at == first.pdf.generated_at
    assert rows["ubl"].sha256 == first.ubl.sha256


def test_fixed_master_data_replaces_the_files_and_removes_the_old_ones(
    seller, buyer, django_capture_on_commit_callbacks
):
    with tenant_context(seller):
        invoice = issued_invoice(seller, buyer, LINES, issue_date=JAN)
        first = invoice_documents_generate(tenant=seller, invoice=invoice)
    old_names = [first.pdf.file.name, first.ubl.file.name]
    seller.iban = "DE02120300000000202051"
    seller.save()
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(seller):
            second = invoice_documents_generate(tenant=seller, invoice=invoice)
    assert second.rendered
    assert second.pdf.pk == first.pdf.pk  # the same row, the current version
    assert second.pdf.source_hash != first.pdf.source_hash
    assert "DE02 1203 0000 0000 2020 51" in "\n".join(pdf_pages_text(content(second.pdf)))
    assert not any(default_storage.exists(name) for name in old_names)
    assert default_storage.exists(second.pdf.file.name)


def test_a_ubl_that_fails_its_schema_stores_neither_file(seller, buyer, monkeypatch):
    from invoicing.documents import ubl

    written = ubl.ubl_xml

    def without_payable_amount(doc):  # BT-115 is mandatory in UBL
        xml = written(doc)
        start = xml.index(b"<cbc:PayableAmount")
        end = xml.index(b"</cbc:PayableAmount>") + len(b"</cbc:PayableAmount>")
        return xml[:start] + xml[end:]

    monkeypatch.setattr(ubl, "ubl_xml", without_payable_amount)
    with tenant_context(seller):
        invoice = issued_invoice(seller, buyer, LINES, issue_date=JAN)
        with pytest.raises(SchemaValidationError, match="UBL XML is not valid"):
            invoice_documents_generate(tenant=seller, invoice=invoice)
        assert not InvoiceDocumentFile.objects.filter(invoice=invoice).exists()
    assert not default_storage.exists(f"{STORAGE_PREFIX}/{seller.pk}/{invoice.pk}")


@pytest.mark.usefixtures("committed_db")
def test_two_workers_on_one_invoice_store_one_set_of_files():
    tenant = complete_seller(TenantFactory(name="Race", slug="race"))
    with tenant_context(tenant):
        customer = billed_customer(number="R-1")
        invoice = issued_invoice(tenant, customer, LINES, issue_date=JAN)
    barrier = threading.Barrier(2)

    def work():
        try:
            with tenant_context(tenant):
                barrier.wait(timeout=30)
                return invoice_documents_generate(tenant=tenant, invoice=invoice)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [f.result(timeout=120) for f in [pool.submit(work), pool.submit(work)]]
    rows = stored(tenant, invoice)
    assert len(rows) == 2
    assert sorted(r.rendered for r in results) == [False, True]
    names = {r.pdf.file.name for r in results}
    assert names == {rows["pdf"].file.name}
    # The loser's files never stay behind in storage.
    _, files = default_storage.listdir(f"invoice-documents/{tenant.pk}/{invoice.pk}")
    assert sorted(files) == sorted(
        name.rsplit("/", 1)[-1] for name in (rows["pdf"].file.name, rows["ubl"].file.name)
    )


# --- what has no stored document ------------------------------------------------------------


def test_drafts_imports_and_incomplete_documents_are_not_stored(seller, buyer, tenant_b):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, [line("10.00")])
        with pytest.raises(DocumentUnavailable):
            invoice_documents_generate(tenant=seller, invoice=draft)
        french = billed_customer(number="C-FR", country="FR")  # no VAT ID
        reverse_charge = issued_invoice(
            seller, french, [line("10.00", rate="0", category="AE")], issue_date=JAN
        )
        with pytest.raises(DocumentIncomplete, match="buyer VAT id"):
            invoice_documents_generate(tenant=seller, invoice=reverse_charge)
        # The task logs it and does not retry: the data has to change first.
        generate_invoice_documents(seller.pk, reverse_charge.pk)
        assert not InvoiceDocumentFile.objects.exists()


def test_the_task_of_another_tenants_invoice_does_nothing(seller, buyer, tenant_b):
    with tenant_context(seller):
        invoice = issued_invoice(seller, buyer, [line("10.00")], issue_date=JAN)
    generate_invoice_documents(tenant_b.pk, invoice.pk)
    assert stored(seller, invoice) == {}
    with tenant_context(tenant_b):
        assert not InvoiceDocumentFile.objects.exists()


def test_generating_for_another_tenant_is_refused(seller, buyer, tenant_b):
    with tenant_context(seller):
        invoice = issued_invoice(seller, buyer, [line("10.00")], issue_date=JAN)
    with tenant_context(tenant_b), pytest.raises(Exception, match="No such invoice"):
        invoice_documents_generate(tenant=tenant_b, invoice=invoice)


# --- draft previews ---------------------------------------------------------------------------


def test_a_draft_preview_is_marked_draft_carries_no_bank_details_and_is_not_stored(seller, buyer):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, LINES)
        pdf = invoice_preview_pdf(tenant=seller, invoice=draft)
        assert not InvoiceDocumentFile.objects.exists()
    pages = pdf_pages_text(pdf)
    assert all("DRAFT" in page for page in pages)
    text = "\n".join(pages)
    assert f"DRAFT-{draft.pk}" in text
    assert "Hydraulic pump HP-220" in text
    assert "DE89" not in text  # nobody pays a draft


def test_an_empty_draft_cannot_be_previewed(seller):
    with tenant_context(seller):
        draft = draft_invoice(seller, CustomerFactory(), [])
        with pytest.raises(DocumentIncomplete, match="preview"):
            invoice_preview_pdf(tenant=seller, invoice=draft)
