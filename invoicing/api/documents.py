"""REST endpoints for the documents of an invoice and their e-mail delivery.

``GET /invoices/{id}/pdf/`` and ``GET /invoices/{id}/xml/`` answer with the
stored document. If the worker has not stored it yet (just issued), it is
rendered and stored within the request instead of answering "try later":
an ERP gets the document in one call, and the stored result is the one the
worker would have made (the generation is idempotent). A draft's PDF is its
DRAFT-marked preview, never stored; drafts have no XML.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from invoicing import selectors, services
from invoicing.api.serializers import (
    DeliveryOutputSerializer,
    DocumentFormatSerializer,
    SendInputSerializer,
)
from invoicing.api.views import _PAGE_PARAMETERS, TAGS
from invoicing.models import Invoice
from otc.api.errors import PROBLEM_CONTENT_TYPE
from otc.api.pagination import paginated_response
from otc.api.serializers import ProblemSerializer
from otc.api.views import TenantAPIView
from otc.tenancy.roles import Perm

_PROBLEM = OpenApiResponse(response=ProblemSerializer)
_NO_DOCUMENT = OpenApiResponse(
    response=ProblemSerializer,
    description="`no_document`: an imported open balance (its document is the old "
    "system's) or a discarded draft has no document; drafts have no XML.",
)
_INCOMPLETE = OpenApiResponse(
    response=ProblemSerializer,
    description="`document_incomplete`: the document cannot be printed from the data as it "
    "is (e.g. reverse charge without the customer's VAT ID); `errors` says what to complete.",
)


class _FileNegotiation(BaseContentNegotiation):
    """The answer is a file whatever the client accepts (a PDF reader sends
    `Accept: application/pdf`), and `format` is this endpoint's own query
    parameter, not DRF's renderer switch. Problems still render as JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


def _file(invoice: Invoice, content: bytes, *, content_type: str, suffix: str) -> HttpResponse:
    name = services.document_filename(invoice)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}{suffix}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _stored(view: TenantAPIView, invoice: Invoice) -> services.StoredDocuments:
    return services.invoice_documents_generate(tenant=view.tenant, invoice=invoice)


def _read(stored_file: Any) -> bytes:
    with stored_file.open("rb") as handle:
        content: bytes = handle.read()
    return content


class InvoicePdfApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    content_negotiation_class = _FileNegotiation

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_pdf",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY,
                description="The Factur-X PDF (PDF/A-3 with the EN 16931 CII XML embedded as "
                "factur-x.xml); for a draft, its preview marked DRAFT.",
            ),
            (409, PROBLEM_CONTENT_TYPE): _NO_DOCUMENT,
            (422, PROBLEM_CONTENT_TYPE): _INCOMPLETE,
        },
        description="The invoice, credit memo or debit memo as PDF. Issued documents are "
        "served as stored (rendered once by a worker after issue; if that has not happened "
        "yet, rendered and stored within this request). A draft answers its preview, "
        "marked DRAFT on every page and without bank details; it is not stored.",
    )
    def get(self, request: Request, invoice_id: int) -> HttpResponse:
        invoice = selectors.invoice_get(tenant=self.tenant, invoice_id=invoice_id)
        if invoice.is_draft:
            pdf = services.invoice_preview_pdf(tenant=self.tenant, invoice=invoice)
            return _file(invoice, pdf, content_type="application/pdf", suffix="-draft.pdf")
        stored = _stored(self, invoice)
        return _file(invoice, _read(stored.pdf.file), content_type="application/pdf", suffix=".pdf")


class InvoiceXmlApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    content_negotiation_class = _FileNegotiation

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_xml",
        parameters=[DocumentFormatSerializer],
        responses={
            (200, "application/xml"): OpenApiResponse(
                response=OpenApiTypes.BINARY,
                description="The e-invoice XML: CII (Factur-X, EN 16931) or UBL 2.1 "
                "(Invoice, or CreditNote for a credit memo).",
            ),
            (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                response=ProblemSerializer, description="An unknown `format`."
            ),
            (409, PROBLEM_CONTENT_TYPE): _NO_DOCUMENT,
            (422, PROBLEM_CONTENT_TYPE): _INCOMPLETE,
        },
        description="The e-invoice of an issued document. `format=facturx` is exactly the "
        "XML embedded in the stored PDF; `format=ubl` the stored UBL. Rendered and stored "
        "within the request if the worker has not done it yet.",
    )
    def get(self, request: Request, invoice_id: int) -> HttpResponse:
        query = DocumentFormatSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        invoice = selectors.invoice_get(tenant=self.tenant, invoice_id=invoice_id)
        if invoice.is_draft:
            raise services.DocumentUnavailable(
                f"{invoice} is a draft: e-invoices exist once it is issued."
            )
        stored = _stored(self, invoice)
        if query.validated_data["format"] == "ubl":
            return _file(
                invoice, _read(stored.ubl.file), content_type="application/xml", suffix="-ubl.xml"
            )
        xml = services.facturx_xml_of(pdf=_read(stored.pdf.file))
        return _file(invoice, xml, content_type="application/xml", suffix="-factur-x.xml")


class DeliveryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DeliveryOutputSerializer(many=True)


class InvoiceSendApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    write_permission = Perm.INVOICES_EDIT

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_send",
        request=SendInputSerializer,
        responses={202: DeliveryOutputSerializer},
        description="E-mail the PDF: to `recipients`, or by default to the customer's "
        "contacts with the role AP contact. Answers the queued delivery at once; a worker "
        "sends it (retrying on mail server errors, never twice) and its `status` shows "
        "the outcome (`GET /invoices/{id}/deliveries/`). 409 `not_issued` for a draft, "
        "`not_sendable` for a cancelled document, `no_document` for an imported one; "
        "422 `no_ap_contact` when there is nobody to send to, `document_incomplete` when "
        "the PDF cannot be produced yet.",
    )
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = selectors.invoice_get(tenant=self.tenant, invoice_id=invoice_id)
        data = SendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        delivery = services.invoice_send(
            tenant=self.tenant,
            actor=self.actor,
            invoice=invoice,
            recipients=data.validated_data.get("recipients") or None,
        )
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class InvoiceDeliveriesApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_deliveries_list",
        parameters=_PAGE_PARAMETERS,
        responses=DeliveryPageSerializer,
        description="The e-mails of this document, newest first.",
    )
    def get(self, request: Request, invoice_id: int) -> Response:
        invoice = selectors.invoice_get(tenant=self.tenant, invoice_id=invoice_id)
        return paginated_response(
            queryset=selectors.delivery_list(tenant=self.tenant, invoice=invoice),
            serializer_class=DeliveryOutputSerializer,
            request=request,
            view=self,
        )
