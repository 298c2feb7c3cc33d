"""REST endpoints of returns (RMA) and refunds: lists, one of each, their
actions (authorise, receive, credit, close, cancel; approve, reject) and
the SEPA transfer files. Thin: validate, call a service, serialize."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from deductions import selectors_returns as selectors
from deductions import services
from deductions.api.serializers_returns import (
    RefundExportInputSerializer,
    RefundExportOutputSerializer,
    RefundFilterSerializer,
    RefundInputSerializer,
    RefundOutputSerializer,
    RefundRejectInputSerializer,
    ReturnCancelInputSerializer,
    ReturnCloseInputSerializer,
    ReturnDetailSerializer,
    ReturnFilterSerializer,
    ReturnOutputSerializer,
    ReturnReceiveInputSerializer,
    ReturnRequestInputSerializer,
)
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.views import TenantAPIView
from otc.errors import NotFound
from otc.tenancy.roles import Perm

RETURN_TAGS = ["Returns"]
REFUND_TAGS = ["Refunds"]


class NewestFirst(CursorPagination):
    ordering = "-id"


class _ReturnView(TenantAPIView):
    read_permission = Perm.DEDUCTIONS_VIEW
    write_permission = Perm.DEDUCTIONS_RESOLVE

    def _detail(self, rma_id: int) -> dict[str, Any]:
        rma = selectors.return_get(tenant=self.tenant, rma_id=rma_id)
        if rma is None:
            raise NotFound("No such return.")
        rma.lines_list = list(  # type: ignore[attr-defined]
            selectors.return_lines(tenant=self.tenant, rma=rma)
        )
        return dict(ReturnDetailSerializer(rma).data)


class ReturnListApi(_ReturnView):
    @extend_schema(
        tags=RETURN_TAGS,
        operation_id="returns_list",
        parameters=[ReturnFilterSerializer],
        responses=ReturnOutputSerializer(many=True),
        description="Return authorisations, newest first.",
    )
    def get(self, request: Request) -> Response:
        filters = ReturnFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.return_list(
            tenant=self.tenant,
            status=filters.validated_data.get("status", ""),
            search=filters.validated_data.get("search", ""),
        )
        return paginated_response(
            queryset=rows,
            serializer_class=ReturnOutputSerializer,
            request=request,
            view=self,
            pagination_class=NewestFirst,
        )

    @extend_schema(
        tags=RETURN_TAGS,
        operation_id="returns_create",
        request=ReturnRequestInputSerializer,
        responses={201: ReturnDetailSerializer},
        description="Request a return of quantities of an issued invoice's lines; each at "
        "most what was invoiced less what other returns took back (422 otherwise).",
    )
    def post(self, request: Request) -> Response:
        data = ReturnRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        rma = services.return_request(
            tenant=self.tenant,
            actor=self.actor,
            invoice_id=values["invoice_id"],
            reason_id=values["reason_id"],
            lines=[services.ReturnLineInput(**line) for line in values["lines"]],
            note=values["note"],
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return Response(
            self._detail(rma.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api-return-detail", args=[rma.pk])},
        )


class ReturnDetailApi(_ReturnView):
    @extend_schema(
        tags=RETURN_TAGS, operation_id="returns_retrieve", responses=ReturnDetailSerializer
    )
    def get(self, request: Request, rma_id: int) -> Response:
        return Response(self._detail(rma_id))


class ReturnAuthoriseApi(_ReturnView):
    @extend_schema(
        tags=RETURN_TAGS,
        operation_id="returns_authorise",
        request=None,
        responses=ReturnDetailSerializer,
        description="Authorise a requested return. A step out of order is 409.",
    )
    def post(self, request: Request, rma_id: int) -> Response:
        services.return_authorise(tenant=self.tenant, actor=self.actor, rma_id=rma_id)
        return Response(self._detail(rma_id))


class ReturnReceiveApi(_ReturnView):
    @extend_schema(
        tags=RETURN_TAGS,
        operation_id="returns_receive",
        request=ReturnReceiveInputSerializer,
        responses=ReturnDetailSerializer,
        description="Record the goods received: every line's accepted quantity (at most "
        "what was authorised); the rest is rejected and `note` says why.",
    )
    def post(self, request: Request, rma_id: int) -> Response:
        data = ReturnReceiveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.return_receive(
            tenant=self.tenant,
            actor=self.actor,
            rma_id=rma_id,
            lines=[services.ReceiptLineInput(**line) for line in data.validated_data["lines"]],
            note=data.validated_data["note"],
        )
        return Response(self._detail(rma_id))


class ReturnCreditApi(_ReturnView):
    @extend_schema(
        tags=RETURN_TAGS,
        operation_id="returns_credit",
        request=None,
        responses=ReturnDetailSerializer,
        description="Issue the credit memo for the accepted goods at the lines' prices and "
        "VAT rates; it is applied to the invoice's open amount, the rest stays on account.",
    )
    def post(self, request: Request, rma_id: int) -> Response:
        services.return_credit(tenant=self.tenant, actor=self.actor, rma_id=rma_id)
        return Response(self._detail(rma_id))


class ReturnCloseApi(_ReturnView):
    @extend_schema(
        tags=RETURN_TAGS,
        operation_id="returns_close",
        request=ReturnCloseInputSerializer,
        responses=ReturnDetailSerializer,
        description="Close the return with the customer's choice: `refund` (requests a "
        "refund of the credit memo's open credit to `payee_iban`) or `on_account`.",
    )
    def post(self, request: Request, rma_id: int) -> Response:
        data = ReturnCloseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.return_close(
            tenant=self.tenant,
            actor=self.actor,
            rma_id=rma_id,
            settlement=data.validated_data.get("settlement", ""),
            payee_iban=data.validated_data["payee_iban"],
            payee_bic=data.validated_data["payee_bic"],
        )
        return Response(self._detail(rma_id))


class ReturnCancelApi(_ReturnView):
    @extend_schema(
        tags=RETURN_TAGS,
        operation_id="returns_cancel",
        request=ReturnCancelInputSerializer,
        responses=ReturnDetailSerializer,
    )
    def post(self, request: Request, rma_id: int) -> Response:
        data = ReturnCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.return_cancel(
            tenant=self.tenant,
            actor=self.actor,
            rma_id=rma_id,
            reason=data.validated_data["reason"],
        )
        return Response(self._detail(rma_id))


class _RefundView(TenantAPIView):
    read_permission = Perm.DEDUCTIONS_VIEW
    write_permission = Perm.DEDUCTIONS_RESOLVE

    def _refund(self, refund_id: int) -> dict[str, Any]:
        refund = selectors.refund_get(tenant=self.tenant, refund_id=refund_id)
        if refund is None:
            raise NotFound("No such refund.")
        return dict(RefundOutputSerializer(refund).data)


class RefundListApi(_RefundView):
    @extend_schema(
        tags=REFUND_TAGS,
        operation_id="refunds_list",
        parameters=[RefundFilterSerializer],
        responses=RefundOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = RefundFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.refund_list(
            tenant=self.tenant,
            status=filters.validated_data.get("status", ""),
            search=filters.validated_data.get("search", ""),
        )
        return paginated_response(
            queryset=rows,
            serializer_class=RefundOutputSerializer,
            request=request,
            view=self,
            pagination_class=NewestFirst,
        )

    @extend_schema(
        tags=REFUND_TAGS,
        operation_id="refunds_create",
        request=RefundInputSerializer,
        responses={201: RefundOutputSerializer},
        description="Refund open credit (a payment or credit memo item) in its currency, at "
        "most what is open and not held by waiting refunds (422 otherwise). An API key has "
        "no approval limit: its refunds wait for a manager.",
    )
    def post(self, request: Request) -> Response:
        data = RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_request(
            tenant=self.tenant,
            actor=self.actor,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            **data.validated_data,
        )
        return Response(
            self._refund(refund.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api-refund-detail", args=[refund.pk])},
        )


class RefundDetailApi(_RefundView):
    @extend_schema(
        tags=REFUND_TAGS, operation_id="refunds_retrieve", responses=RefundOutputSerializer
    )
    def get(self, request: Request, refund_id: int) -> Response:
        return Response(self._refund(refund_id))


class RefundApproveApi(_RefundView):
    @extend_schema(
        tags=REFUND_TAGS,
        operation_id="refunds_approve",
        request=None,
        responses=RefundOutputSerializer,
        description="Approve a waiting refund (a person whose limit covers it, not the "
        "requester); it is paid out in the ledger.",
    )
    def post(self, request: Request, refund_id: int) -> Response:
        services.refund_approve(tenant=self.tenant, actor=self.actor, refund_id=refund_id)
        return Response(self._refund(refund_id))


class RefundRejectApi(_RefundView):
    @extend_schema(
        tags=REFUND_TAGS,
        operation_id="refunds_reject",
        request=RefundRejectInputSerializer,
        responses=RefundOutputSerializer,
    )
    def post(self, request: Request, refund_id: int) -> Response:
        data = RefundRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refund_reject(
            tenant=self.tenant, actor=self.actor, refund_id=refund_id, **data.validated_data
        )
        return Response(self._refund(refund_id))


class RefundExportListApi(_RefundView):
    @extend_schema(
        tags=REFUND_TAGS,
        operation_id="refund_exports_list",
        responses=RefundExportOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.refund_exports(tenant=self.tenant).prefetch_related("refunds")
        return paginated_response(
            queryset=rows,
            serializer_class=RefundExportOutputSerializer,
            request=request,
            view=self,
            pagination_class=NewestFirst,
        )

    @extend_schema(
        tags=REFUND_TAGS,
        operation_id="refund_exports_create",
        request=RefundExportInputSerializer,
        responses={201: RefundExportOutputSerializer},
        description="Write a SEPA credit transfer file (pain.001.001.03) for approved EUR "
        "refunds (all, or `refund_ids`) and mark them exported; none is paid twice.",
    )
    def post(self, request: Request) -> Response:
        data = RefundExportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = services.refunds_export(
            tenant=self.tenant,
            actor=self.actor,
            refund_ids=data.validated_data.get("refund_ids"),
            execution_date=data.validated_data.get("execution_date"),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return Response(
            RefundExportOutputSerializer(export).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api-refund-export-file", args=[export.pk])},
        )


class RefundExportFileApi(_RefundView):
    @extend_schema(
        tags=REFUND_TAGS,
        operation_id="refund_exports_download",
        responses={(200, "application/xml"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, export_id: int) -> HttpResponse:
        export = services.refund_export_get(tenant=self.tenant, export_id=export_id)
        response = HttpResponse(export.xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{export.message_id}.xml"'
        return response
