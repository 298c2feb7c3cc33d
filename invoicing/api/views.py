"""REST endpoints of invoicing for ERP systems: validate the input, call a
service, serialize the result. PDFs and e-invoice XML are served by the
documents endpoints (``invoicing.documents``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from invoicing import selectors, services
from invoicing.api.bulk import bulk_create
from invoicing.api.serializers import (
    BulkInputSerializer,
    BulkOutputSerializer,
    CancelInputSerializer,
    DebitMemoInputSerializer,
    FromOrderInputSerializer,
    InvoiceFilterSerializer,
    InvoiceInputSerializer,
    InvoiceOutputSerializer,
    IssueInputSerializer,
    MemoInputSerializer,
)
from invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceOrigin
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.views import TenantAPIView
from otc.errors import ValidationFailed
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm

TAGS = ["Invoices"]
MEMO_TAGS = ["Credit and debit memos"]

# Service error keys that the API spells differently.
_API_FIELD = {
    "payment_terms": "payment_terms_code",
    "related_invoice": "related_invoice_id",
    "customer": "customer_id",
}

_PAGE_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next` or `previous`."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 200; default 50."),
]


class InvoiceCursorPagination(CursorPagination):
    """Newest first; with `updated_since`, oldest change first, so a delta
    sync can keep the last `updated_at` it saw as its next watermark."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        if "updated_since" in request.query_params:
            return ("updated_at", "id")
        return ("-id",)


class InvoicePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(allow_null=True)
    results = InvoiceOutputSerializer(many=True)


def with_lines(invoices: QuerySet[Invoice], tenant: Tenant) -> QuerySet[Invoice]:
    """Lines of the whole page in one more query, read with the tenant filter."""
    return invoices.select_related("payment_terms").prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.for_tenant(tenant))
    )


def invoice_body(invoice: Invoice, tenant: Tenant) -> dict[str, Any]:
    fresh = with_lines(selectors.invoice_list(tenant=tenant).filter(pk=invoice.pk), tenant).get()
    return dict(InvoiceOutputSerializer(fresh).data)


def in_api_terms(error: ValidationFailed, sent: Any) -> ValidationFailed:
    """The same error with field names as the caller sent them."""
    sent = sent if isinstance(sent, dict) else {}
    renamed: dict[str, list[str]] = {}
    customer_field = next(
        (name for name in ("customer_external_ref", "customer_number") if name in sent),
        "customer_id",
    )
    for field, messages in error.errors.items():
        name = customer_field if field == "customer" else _API_FIELD.get(field, field)
        renamed.setdefault(name, []).extend(messages)
    return ValidationFailed(error.detail, errors=renamed, code=error.code)


def _list(view: TenantAPIView, request: Request, kind: InvoiceKind) -> Response:
    filters = InvoiceFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    invoices = selectors.invoice_list(tenant=view.tenant, kind=kind, **filters.validated_data)
    return paginated_response(
        queryset=with_lines(invoices, view.tenant),
        serializer_class=InvoiceOutputSerializer,
        request=request,
        view=view,
        pagination_class=InvoiceCursorPagination,
    )


def _created(invoice: Invoice, tenant: Tenant) -> Response:
    location = reverse("api-invoice-detail", kwargs={"invoice_id": invoice.pk})
    return Response(
        invoice_body(invoice, tenant),
        status=status.HTTP_201_CREATED,
        headers={"Location": location},
    )


_LIST_DESCRIPTION = (
    "Newest first, paginated by cursor, lines included. With `updated_since` the list holds "
    "the documents changed since then, oldest change first: the delta sync of an ERP."
)


class InvoiceListApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    write_permission = Perm.INVOICES_EDIT

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_list",
        parameters=[InvoiceFilterSerializer, *_PAGE_PARAMETERS],
        responses=InvoicePageSerializer,
        description="Invoices (credit and debit memos have their own lists). " + _LIST_DESCRIPTION,
    )
    def get(self, request: Request) -> Response:
        return _list(self, request, InvoiceKind.INVOICE)

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_create",
        request=InvoiceInputSerializer,
        responses={201: InvoiceOutputSerializer},
        description="Create a draft invoice. Issue it with `POST /invoices/{id}/issue/`. "
        "A second draft with the same `external_ref` answers 409.",
    )
    def post(self, request: Request) -> Response:
        data = InvoiceInputSerializer(data=request.data, context={"tenant": self.tenant})
        data.is_valid(raise_exception=True)
        fields, lines = InvoiceInputSerializer.service_fields(data.validated_data)
        try:
            invoice = services.invoice_create_draft(
                tenant=self.tenant,
                actor=self.actor,
                lines=lines or [],
                origin=InvoiceOrigin.API,
                **fields,
            )
        except ValidationFailed as error:
            raise in_api_terms(error, request.data) from error
        return _created(invoice, self.tenant)


class InvoiceDetailApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    write_permission = Perm.INVOICES_EDIT

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_retrieve",
        responses=InvoiceOutputSerializer,
        description="Any invoice document: invoice, credit memo or debit memo (see `kind`).",
    )
    def get(self, request: Request, invoice_id: int) -> Response:
        invoice = selectors.invoice_get(tenant=self.tenant, invoice_id=invoice_id)
        return Response(invoice_body(invoice, self.tenant))

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_partial_update",
        request=InvoiceInputSerializer,
        responses=InvoiceOutputSerializer,
        description="Change a draft: the fields sent; `lines`, when sent, replace all lines. "
        "An issued document answers 409 (`not_a_draft`): correct it with a memo.",
    )
    def patch(self, request: Request, invoice_id: int) -> Response:
        invoice = selectors.invoice_get(tenant=self.tenant, invoice_id=invoice_id)
        data = InvoiceInputSerializer(
            data=request.data, partial=True, context={"tenant": self.tenant}
        )
        data.is_valid(raise_exception=True)
        fields, lines = InvoiceInputSerializer.service_fields(data.validated_data)
        try:
            invoice = services.invoice_update_draft(
                tenant=self.tenant,
                actor=self.actor,
                invoice=invoice,
                data=services.InvoiceFields(**fields),  # type: ignore[typeddict-item]
                lines=lines,
            )
        except ValidationFailed as error:
            raise in_api_terms(error, request.data) from error
        return Response(invoice_body(invoice, self.tenant))


class InvoiceIssueApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    write_permission = Perm.INVOICES_EDIT

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_issue",
        request=IssueInputSerializer,
        responses=InvoiceOutputSerializer,
        description="Issue a draft: it gets its number (e.g. INV-2026-000123), its exchange "
        "rate to the base currency is locked on the issue date, and it is posted to the AR "
        "ledger. A credit memo is applied to its invoice. Anything but a draft answers 409 "
        "(`illegal_transition`); a missing rate or an empty invoice 422.",
    )
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = selectors.invoice_get(tenant=self.tenant, invoice_id=invoice_id)
        data = IssueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_issue(
            tenant=self.tenant,
            actor=self.actor,
            invoice=invoice,
            issue_date=data.validated_data.get("issue_date"),
        )
        return Response(invoice_body(invoice, self.tenant))


class InvoiceFromOrderApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    write_permission = Perm.INVOICES_EDIT

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_from_order",
        request=FromOrderInputSerializer,
        responses={201: InvoiceOutputSerializer},
        description="Make a draft invoice from an approved or released sales order: every "
        "line's quantity not yet billed, or the `lines` given (partial invoicing). Issuing "
        "the draft takes its amount off the order's open exposure; an invoice worth more "
        "than credit released answers 409 (`over_invoiced`). An order that is held, "
        "rejected or fully invoiced answers 409 (`order_not_invoiceable`).",
    )
    def post(self, request: Request) -> Response:
        data = FromOrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lines = data.validated_data.get("lines")
        invoice = services.invoice_draft_from_order(
            tenant=self.tenant,
            actor=self.actor,
            order_id=data.validated_data["order_id"],
            quantities=(
                {line["order_line_id"]: line["quantity"] for line in lines}
                if lines is not None
                else None
            ),
            issue_date=data.validated_data.get("issue_date"),
        )
        return _created(invoice, self.tenant)


class InvoiceCancelApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    write_permission = Perm.INVOICES_EDIT

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_cancel",
        request=CancelInputSerializer,
        responses=InvoiceOutputSerializer,
        description="A draft is discarded. An issued or partly paid invoice is cancelled by a "
        "full credit memo (all its lines), issued and applied to what is open; what was paid "
        "stays on the customer's account. The memo's id is `cancellation_memo_id`. Paid "
        "documents and credit memos answer 409 (`illegal_transition`), partly credited "
        "invoices 409 (`partly_credited`).",
    )
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = selectors.invoice_get(tenant=self.tenant, invoice_id=invoice_id)
        data = CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_cancel(
            tenant=self.tenant,
            actor=self.actor,
            invoice=invoice,
            reason=data.validated_data["reason"],
            cancel_date=data.validated_data.get("cancel_date"),
        )
        return Response(invoice_body(invoice, self.tenant))


class CreditMemoListApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    write_permission = Perm.INVOICES_EDIT

    @extend_schema(
        tags=MEMO_TAGS,
        operation_id="credit_memos_list",
        parameters=[InvoiceFilterSerializer, *_PAGE_PARAMETERS],
        responses=InvoicePageSerializer,
        description="Credit memos. " + _LIST_DESCRIPTION,
    )
    def get(self, request: Request) -> Response:
        return _list(self, request, InvoiceKind.CREDIT_MEMO)

    @extend_schema(
        tags=MEMO_TAGS,
        operation_id="credit_memos_create",
        request=MemoInputSerializer,
        responses={201: InvoiceOutputSerializer},
        description="A credit memo for `related_invoice_id` (or on account for a customer), "
        "issued at once unless `issue` is false. It is applied to the invoice up to the "
        "invoice's open amount; the rest stays on the account. The credit memos of one "
        "invoice never add up to more than its gross amount (422).",
    )
    def post(self, request: Request) -> Response:
        data = MemoInputSerializer(data=request.data, context={"tenant": self.tenant})
        data.is_valid(raise_exception=True)
        try:
            memo = services.credit_memo_create(
                tenant=self.tenant, actor=self.actor, **data.service_fields()
            )
        except ValidationFailed as error:
            raise in_api_terms(error, request.data) from error
        return _created(memo, self.tenant)


class DebitMemoListApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    write_permission = Perm.INVOICES_EDIT

    @extend_schema(
        tags=MEMO_TAGS,
        operation_id="debit_memos_list",
        parameters=[InvoiceFilterSerializer, *_PAGE_PARAMETERS],
        responses=InvoicePageSerializer,
        description="Debit memos. " + _LIST_DESCRIPTION,
    )
    def get(self, request: Request) -> Response:
        return _list(self, request, InvoiceKind.DEBIT_MEMO)

    @extend_schema(
        tags=MEMO_TAGS,
        operation_id="debit_memos_create",
        request=DebitMemoInputSerializer,
        responses={201: InvoiceOutputSerializer},
        description="A debit memo (an extra charge), optionally referring to the invoice it "
        "corrects; owed like an invoice with its own due date. Issued at once unless "
        "`issue` is false.",
    )
    def post(self, request: Request) -> Response:
        data = DebitMemoInputSerializer(data=request.data, context={"tenant": self.tenant})
        data.is_valid(raise_exception=True)
        try:
            memo = services.debit_memo_create(
                tenant=self.tenant, actor=self.actor, **data.service_fields()
            )
        except ValidationFailed as error:
            raise in_api_terms(error, request.data) from error
        return _created(memo, self.tenant)


class InvoiceBulkApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    write_permission = Perm.INVOICES_EDIT

    @extend_schema(
        tags=TAGS,
        operation_id="invoices_bulk_create",
        request=BulkInputSerializer,
        responses={200: BulkOutputSerializer},
        description="Create up to 1,000 invoices in one request, as drafts or issued "
        "(`issue: true`). Every item is validated first, then each valid item is written "
        "on its own: an item is created (and issued, if asked) completely or not at all, "
        "and one bad item does not stop the others. `results` has one entry per item, in "
        "order: `created` with its id (and number when issued); `exists` when an invoice "
        "with the item's `external_ref` is already there (its id, nothing written); "
        "`error` with the problems. The Idempotency-Key covers the whole request: a retry "
        "replays the first response. Items repeating an `external_ref` of an earlier item "
        "of the same request are errors.",
    )
    def post(self, request: Request) -> Response:
        envelope = BulkInputSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        outcome = bulk_create(
            tenant=self.tenant, actor=self.actor, items=envelope.validated_data["items"]
        )
        return Response(BulkOutputSerializer(outcome).data)
