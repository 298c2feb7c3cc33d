"""HTML for invoice documents and their delivery: the PDF preview and
downloads on the invoice page (with a "being generated" state that polls
until the worker has stored them), draft previews, sending to the customer's
AP contacts, the delivery log and the outbox. Thin: forms validate, the
services decide, the selectors read."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from invoicing import selectors, services
from invoicing.documents_source import document_source_hash, invoice_document
from invoicing.forms import DeliveryFilterForm, SendForm
from invoicing.models import (
    DeliveryStatus,
    DocumentFileKind,
    Invoice,
    InvoiceDocumentFile,
    InvoiceOrigin,
)
from invoicing.services.document_files import unavailable_reason
from otc.audit.services import Actor
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tasks import run_once
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

# While the page waits for the worker, it asks again this often (seconds).
POLL_SECONDS = 2
# A page that finds no stored document asks the worker at most this often.
_REQUEST_EVERY_SECONDS = 120
_OUTBOX_SORTABLE = {
    "created": ("Requested", "created_at"),
    "status": ("Status", "status"),
    "invoice": ("Document", "invoice__number"),
    "sent": ("Sent", "sent_at"),
}
_DOWNLOADS = {
    "pdf": ("application/pdf", "pdf"),
    "ubl": ("application/xml", "xml"),
    "facturx": ("application/xml", "xml"),
}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _invoice_or_404(request: HttpRequest, pk: int) -> Invoice:
    try:
        return selectors.invoice_get(tenant=_tenant(request), invoice_id=pk)
    except NotFound:
        raise Http404("No such invoice.") from None


# --- the documents panel ----------------------------------------------------------------


def documents_context(request: HttpRequest, invoice: Invoice) -> dict[str, Any]:
    """What the documents panel of the invoice page shows. When an issued
    document has no stored files yet (just issued, or issued before the
    worker ran), the worker is asked once more and the panel polls."""
    tenant = _tenant(request)
    files = selectors.invoice_document_files(tenant=tenant, invoice=invoice)
    problems: list[str] = []
    reason = "" if invoice.is_draft else unavailable_reason(invoice)
    outdated = False
    if not reason:
        problems = services.document_problems(tenant=tenant, invoice=invoice)
    if files and not problems and not invoice.is_draft:
        current = document_source_hash(invoice_document(tenant=tenant, invoice=invoice))
        outdated = any(row.source_hash != current for row in files.values())
    pending = not invoice.is_draft and not reason and not problems and len(files) < 2
    if pending and run_once(
        f"invoice-docs:{tenant.pk}:{invoice.pk}", ttl_seconds=_REQUEST_EVERY_SECONDS
    ):
        services.invoice_documents_enqueue(tenant=tenant, invoice_ids=[invoice.pk])
    return {
        "invoice": invoice,
        "document_files": files,
        "document_pdf": files.get(DocumentFileKind.PDF),
        "document_ubl": files.get(DocumentFileKind.UBL),
        "document_reason": reason,
        "document_problems": problems,
        "document_pending": pending,
        "document_outdated": outdated,
        "poll_seconds": POLL_SECONDS,
        "can_regenerate": can(request, Perm.INVOICES_EDIT) and not reason and not invoice.is_draft,
    }


@require_GET
@require_perm(Perm.INVOICES_VIEW)
def documents_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the panel again (the "being generated" state polls this).

    A poll that still finds no files renders them here: the worker may be
    busy with a billing run's thousands of documents, and the person looking
    at this one should not wait for them. Rendering is idempotent, so the
    worker's later run finds the files and replaces nothing."""
    tenant = _tenant(request)
    invoice = _invoice_or_404(request, pk)
    stored = selectors.invoice_document_files(tenant=tenant, invoice=invoice)
    if request.htmx and len(stored) < len(DocumentFileKind) and not invoice.is_draft:  # type: ignore[attr-defined]
        with contextlib.suppress(DomainError):  # the panel then lists what is missing
            services.invoice_documents_generate(tenant=tenant, invoice=invoice)
    return render(request, "invoicing/_documents_panel.html", documents_context(request, invoice))


@require_POST
@require_perm(Perm.INVOICES_EDIT)
def documents_generate(request: HttpRequest, pk: int) -> HttpResponse:
    """Render again (after company or customer details were corrected)."""
    tenant = _tenant(request)
    invoice = _invoice_or_404(request, pk)
    problems = services.document_problems(tenant=tenant, invoice=invoice)
    if problems:
        messages.error(request, "The documents cannot be produced yet: " + "; ".join(problems))
    else:
        services.invoice_documents_enqueue(tenant=tenant, invoice_ids=[invoice.pk])
        messages.success(request, f"The documents of {invoice} are being generated.")
    return redirect(reverse("invoicing:detail", kwargs={"pk": invoice.pk}) + "#documents")


def _stored_or_404(request: HttpRequest, invoice: Invoice, kind: str) -> InvoiceDocumentFile:
    row = selectors.invoice_document_files(tenant=_tenant(request), invoice=invoice).get(kind)
    if row is None:
        raise Http404("This document has not been generated yet.")
    return row


def _file_response(
    content: bytes, *, content_type: str, filename: str, inline: bool
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
@require_perm(Perm.INVOICES_VIEW)
@xframe_options_sameorigin
def document_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The stored PDF (Factur-X), the UBL XML, or the Factur-X XML taken from
    the stored PDF. ``?inline=1`` shows the PDF in the page's frame."""
    if kind not in _DOWNLOADS:
        raise Http404
    invoice = _invoice_or_404(request, pk)
    content_type, extension = _DOWNLOADS[kind]
    stored = _stored_or_404(request, invoice, "pdf" if kind == "facturx" else kind)
    with stored.file.open("rb") as handle:
        content = handle.read()
    if kind == "facturx":
        content = services.facturx_xml_of(pdf=content)
    base = services.document_filename(invoice)
    suffix = {"pdf": "", "ubl": "-ubl", "facturx": "-factur-x"}[kind]
    return _file_response(
        content,
        content_type=content_type,
        filename=f"{base}{suffix}.{extension}",
        inline=request.GET.get("inline") == "1" and kind == "pdf",
    )


@require_GET
@require_perm(Perm.INVOICES_VIEW)
@xframe_options_sameorigin
def draft_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft as it would print, marked DRAFT; rendered now, never stored."""
    invoice = _invoice_or_404(request, pk)
    if not invoice.is_draft:
        raise Http404("Only drafts are previewed; an issued document has its stored PDF.")
    try:
        pdf = services.invoice_preview_pdf(tenant=_tenant(request), invoice=invoice)
    except DomainError as error:
        return HttpResponse(error.detail, status=409, content_type="text/plain; charset=utf-8")
    return _file_response(
        pdf,
        content_type="application/pdf",
        filename=f"{services.document_filename(invoice)}.pdf",
        inline=True,
    )


# --- sending ------------------------------------------------------------------------------


@require_perm(Perm.INVOICES_EDIT)
def invoice_send(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page naming the recipients (GET) and the send (POST)."""
    tenant = _tenant(request)
    invoice = _invoice_or_404(request, pk)
    ap_contacts = services.ap_contact_choices(tenant=tenant, invoice=invoice)
    form = SendForm(request.POST or None, ap_contacts=ap_contacts)
    blocked = ""
    try:
        services.check_sendable(tenant=tenant, invoice=invoice)
    except DomainError as error:
        blocked = error.detail
    if request.method == "POST" and not blocked and form.is_valid():
        try:
            delivery = services.invoice_send(
                tenant=tenant,
                actor=Actor.from_request(request),
                invoice=invoice,
                recipients=form.chosen_recipients(),
            )
        except ValidationFailed as error:
            for field, texts in error.errors.items():
                for text in texts:
                    form.add_error("other" if field.startswith("recipients[") else None, text)
        except DomainError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(
                request,
                f"{invoice} is queued for sending to {', '.join(delivery.recipients)}.",
            )
            return redirect(reverse("invoicing:detail", kwargs={"pk": invoice.pk}) + "#deliveries")
    return render(
        request,
        "invoicing/send_confirm.html",
        {
            "invoice": invoice,
            "form": form,
            "ap_addresses": [address for address, _ in ap_contacts],
            "blocked": blocked,
            "deliveries": selectors.invoice_deliveries(tenant=tenant, invoice=invoice)[:5],
        },
    )


def deliveries_context(request: HttpRequest, invoice: Invoice) -> dict[str, Any]:
    deliveries = selectors.invoice_deliveries(tenant=_tenant(request), invoice=invoice)
    return {
        "invoice": invoice,
        "deliveries": deliveries,
        "deliveries_in_flight": any(
            d.status in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING) for d in deliveries
        ),
        "poll_seconds": POLL_SECONDS,
        "can_send": can(request, Perm.INVOICES_EDIT)
        and invoice.status in services.SENDABLE_STATUSES
        and invoice.origin != InvoiceOrigin.IMPORT,
    }


@require_GET
@require_perm(Perm.INVOICES_VIEW)
def deliveries_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the delivery log again, polled while a delivery is on its way."""
    invoice = _invoice_or_404(request, pk)
    return render(request, "invoicing/_deliveries.html", deliveries_context(request, invoice))


# --- the outbox ---------------------------------------------------------------------------


@require_GET
@require_perm(Perm.INVOICES_VIEW)
def outbox(request: HttpRequest) -> HttpResponse:
    """Every invoice e-mail of the tenant, newest first: what is waiting,
    what went out (with its Message-ID) and what failed, and why."""
    tenant = _tenant(request)
    form = DeliveryFilterForm(request.GET)
    status, q = "", ""
    if form.is_valid():
        status, q = form.cleaned_data["status"], form.cleaned_data["q"]
    deliveries = selectors.delivery_list(tenant=tenant, status=status, q=q)
    counts = selectors.delivery_status_counts(tenant=tenant)
    listing = list_page(request, deliveries, sortable=_OUTBOX_SORTABLE, default_sort="-created")
    return render(
        request,
        "invoicing/outbox.html",
        {
            "form": form,
            "listing": listing,
            "status_tabs": [
                (value, label, counts.get(value, 0)) for value, label in DeliveryStatus.choices
            ],
            "status": status,
            "is_filtered": bool(status or q),
        },
    )
