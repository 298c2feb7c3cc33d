"""The documents of issued invoices: rendered once by a worker, kept in
Django's default storage, served from there.

- ``invoice_documents_generate`` renders the Factur-X PDF (PDF/A-3 with the
  EN 16931 CII XML embedded) and the UBL 2.1 XML of one issued document and
  stores them, unless what is stored was rendered from the same data: then
  nothing is replaced. Two workers on one invoice serialize on its row; the
  second finds the first one's files and keeps them.
- ``invoice_documents_enqueue`` asks the worker for them after the current
  transaction commits (issuing calls it for every document it issues).
- ``invoice_preview_pdf`` renders a draft on request, marked DRAFT across
  every page and without payment details; nothing is stored.

Imported open balances have no document here (the old system printed it),
and a discarded draft has none either.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from invoicing.documents.model import InvoiceDocument, InvoiceDocumentError, validate_document
from invoicing.documents_source import document_source_hash, invoice_document
from invoicing.models import (
    DocumentFileKind,
    Invoice,
    InvoiceDocumentFile,
    InvoiceOrigin,
    InvoiceStatus,
)
from invoicing.services.common import check_same_tenant
from otc.errors import ConflictError, ValidationFailed
from otc.tenancy.models import Tenant

logger = logging.getLogger(__name__)

STORAGE_PREFIX = "invoice-documents"
CONTENT_TYPES = {
    DocumentFileKind.PDF: "application/pdf",
    DocumentFileKind.UBL: "application/xml",
}
_EXTENSIONS = {DocumentFileKind.PDF: "pdf", DocumentFileKind.UBL: "xml"}
_SUFFIXES = {DocumentFileKind.PDF: "", DocumentFileKind.UBL: "-ubl"}


class DocumentUnavailable(ConflictError):  # noqa: N818  (reads as a state, like NotFound)
    """This document has no rendered files in OTC and never will (an
    imported open balance, a discarded draft, a draft asked for its files)."""

    code = "no_document"


class DocumentIncomplete(ValidationFailed):
    """The document cannot be printed from the data as it is (a seller
    without a country, reverse charge without VAT IDs...); ``errors[""]``
    lists what to fix. Fix the data and generate again."""

    code = "document_incomplete"


@dataclass(frozen=True)
class StoredDocuments:
    pdf: InvoiceDocumentFile
    ubl: InvoiceDocumentFile
    # False when what was stored already matched the data (nothing replaced).
    rendered: bool


def _hints(problem: str) -> str:
    if "seller VAT id" in problem:
        return f"{problem}: enter your VAT ID under Settings → On invoices"
    if "buyer VAT id" in problem:
        return f"{problem}: enter the customer's VAT ID on the customer page"
    if problem.startswith("the seller"):
        return f"{problem}: complete the company details under Settings"
    return problem


def unavailable_reason(invoice: Invoice) -> str:
    """Why this document has no stored files at all; "" when it may have them."""
    if invoice.origin == InvoiceOrigin.IMPORT:
        return "Imported open balance: its document is the one the old system printed."
    if invoice.status == InvoiceStatus.CANCELLED and invoice.issued_at is None:
        return "A discarded draft has no document."
    if invoice.is_draft:
        return "Drafts have no stored document yet: they are rendered when issued."
    return ""


def invoice_document_checked(*, tenant: Tenant, invoice: Invoice) -> InvoiceDocument:
    """The document, checked: raises DocumentUnavailable or DocumentIncomplete
    (with every problem, worded so a person knows what to fix)."""
    check_same_tenant(invoice, tenant, what="invoice")
    reason = "" if invoice.is_draft else unavailable_reason(invoice)
    if reason:
        raise DocumentUnavailable(reason)
    doc = invoice_document(tenant=tenant, invoice=invoice)
    try:
        return validate_document(doc)
    except InvoiceDocumentError as error:
        problems = [_hints(problem) for problem in error.problems]
        raise DocumentIncomplete(
            f"{invoice} cannot be printed yet: " + "; ".join(problems) + ".",
            errors={"": problems},
        ) from error


def document_problems(*, tenant: Tenant, invoice: Invoice) -> list[str]:
    """What keeps this document from being printed; empty when nothing does."""
    try:
        invoice_document_checked(tenant=tenant, invoice=invoice)
    except DocumentUnavailable as error:
        return [error.detail]
    except DocumentIncomplete as error:
        return error.errors[""]
    return []


def _stored(*, tenant: Tenant, invoice: Invoice) -> dict[str, InvoiceDocumentFile]:
    return {
        row.kind: row
        for row in InvoiceDocumentFile.objects.for_tenant(tenant).filter(invoice=invoice)
    }


def document_filename(invoice: Invoice) -> str:
    """The invoice number as a file name (INV-2026-000123); drafts and
    numbers with nothing usable get "draft-<id>" / "invoice-<id>"."""
    if not invoice.number:
        return f"draft-{invoice.pk}"
    try:
        return get_valid_filename(invoice.number)
    except SuspiciousFileOperation:
        return f"invoice-{invoice.pk}"


def _storage_name(*, tenant: Tenant, invoice: Invoice, kind: str, digest: str) -> str:
    number = document_filename(invoice)
    return (
        f"{STORAGE_PREFIX}/{tenant.pk}/{invoice.pk}/"
        f"{number}{_SUFFIXES[DocumentFileKind(kind)]}-{digest[:12]}"
        f".{_EXTENSIONS[DocumentFileKind(kind)]}"
    )


def _render(doc: InvoiceDocument) -> dict[str, bytes]:
    # Imported here: WeasyPrint and lxml load only in processes that render.
    from invoicing.documents.facturx import render_facturx_pdf
    from invoicing.documents.ubl import check_ubl_xml, ubl_xml

    # Neither is stored unless both are valid against their schemas (the
    # Factur-X XML is checked before its PDF renders).
    ubl = ubl_xml(doc)
    check_ubl_xml(ubl)
    return {DocumentFileKind.PDF: render_facturx_pdf(doc), DocumentFileKind.UBL: ubl}


def _is_current(rows: dict[str, InvoiceDocumentFile], source_hash: str) -> bool:
    return all(
        kind in rows and rows[kind].source_hash == source_hash for kind in DocumentFileKind.values
    )


def invoice_documents_generate(*, tenant: Tenant, invoice: Invoice) -> StoredDocuments:
    """Render and store the PDF and UBL of an issued document, unless the
    stored ones were rendered from the same data. Raises DocumentUnavailable
    for documents that have none, DocumentIncomplete when data is missing."""
    if invoice.is_draft:
        raise DocumentUnavailable(unavailable_reason(invoice))
    doc = invoice_document_checked(tenant=tenant, invoice=invoice)
    source_hash = document_source_hash(doc)
    rows = _stored(tenant=tenant, invoice=invoice)
    if _is_current(rows, source_hash):
        return StoredDocuments(pdf=rows["pdf"], ubl=rows["ubl"], rendered=False)

    contents = _render(doc)
    saved: list[str] = []
    try:
        with transaction.atomic():
            # One writer per invoice at a time; the row lock ends with the transaction.
            Invoice.objects.for_tenant(tenant).select_for_update(of=("self",)).filter(
                pk=invoice.pk
            ).values_list("pk", flat=True).first()
            rows = _stored(tenant=tenant, invoice=invoice)
            if _is_current(rows, source_hash):
                # Another worker stored the same document while we rendered.
                return StoredDocuments(pdf=rows["pdf"], ubl=rows["ubl"], rendered=False)
            now = timezone.now()
            replaced: list[str] = []
            for kind, content in contents.items():
                digest = sha256(content).hexdigest()
                name = default_storage.save(
                    _storage_name(tenant=tenant, invoice=invoice, kind=kind, digest=digest),
                    ContentFile(content),
                )
                saved.append(name)
                row = rows.get(kind) or InvoiceDocumentFile(
                    tenant=tenant, invoice=invoice, kind=kind
                )
                if row.file.name:
                    replaced.append(row.file.name)
                row.file.name = name
                row.sha256 = digest
                row.size = len(content)
                row.source_hash = source_hash
                row.generated_at = now
                row.save()
                rows[kind] = row
            if replaced:
                transaction.on_commit(lambda: _delete_files(replaced))
    except BaseException:
        _delete_files(saved)
        raise
    logger.info("Stored the documents of %s (tenant %s)", invoice, tenant.pk)
    return StoredDocuments(pdf=rows["pdf"], ubl=rows["ubl"], rendered=True)


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete the replaced document file %s", name)


def facturx_xml_of(*, pdf: bytes) -> bytes:
    """The Factur-X XML embedded in a stored PDF: served as it was sent."""
    from facturx import get_facturx_xml_from_pdf

    _, xml = get_facturx_xml_from_pdf(pdf, check_xsd=False)
    return bytes(xml)


def invoice_documents_enqueue(*, tenant: Tenant, invoice_ids: list[int]) -> None:
    """Have the worker render and store these documents once the current
    transaction commits. One message whatever the count: a billing run of a
    thousand invoices hands the worker one batch, which it fans out."""
    from invoicing.tasks import generate_invoice_documents, generate_invoice_documents_batch

    if len(invoice_ids) == 1:
        generate_invoice_documents.delay_on_commit(tenant.pk, invoice_ids[0])
    elif invoice_ids:
        generate_invoice_documents_batch.delay_on_commit(tenant.pk, list(invoice_ids))


# --- drafts ---------------------------------------------------------------------------

_DRAFT_MARK = (
    '<div style="position: fixed; top: 95mm; left: -20mm; right: -20mm; text-align: center;'
    " font: bold 96pt 'DejaVu Sans', sans-serif; letter-spacing: 12pt;"
    ' color: rgba(200, 30, 30, 0.16); transform: rotate(-35deg);">DRAFT</div>'
)


def invoice_preview_pdf(*, tenant: Tenant, invoice: Invoice) -> bytes:
    """A draft as it would print if issued now, with DRAFT across every page
    and no bank details or payment QR code (nobody should pay a draft).
    Raises DocumentIncomplete when the draft cannot be printed yet (no
    lines, a total of zero...)."""
    from weasyprint import HTML

    from invoicing.documents.pdf import data_only_fetcher, render_invoice_html

    if not invoice.is_draft:
        raise DocumentUnavailable(f"{invoice} is issued: its stored PDF is the document.")
    if invoice.gross_amount <= 0:
        raise DocumentIncomplete(
            "The draft cannot be previewed yet.",
            errors={"": ["Add lines with a total above zero to preview the draft."]},
        )
    doc = invoice_document_checked(tenant=tenant, invoice=invoice)
    unpayable = dataclasses.replace(doc.seller, iban="", bic="", bank_name="")
    html = render_invoice_html(dataclasses.replace(doc, seller=unpayable))
    # Fixed-position boxes repeat on every page in paged media.
    html = html.replace("</body>", _DRAFT_MARK + "</body>", 1)
    pdf: bytes = HTML(string=html, url_fetcher=data_only_fetcher()).write_pdf()
    return pdf
