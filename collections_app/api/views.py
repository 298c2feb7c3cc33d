"""REST endpoints of cash application: payments (+ proposals, applications,
apply / unapply / return / refund / match), bank statements (upload, lines
with their match result and explanation), remittances and the metrics.
Thin: validate, call a service, serialize."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from collections_app import selectors, services
from collections_app.api.serializers import (
    ApplyInputSerializer,
    CsvMappingInputSerializer,
    CsvMappingOutputSerializer,
    ImportOutputSerializer,
    MetricsOutputSerializer,
    PaymentDetailSerializer,
    PaymentFilterSerializer,
    PaymentInputSerializer,
    PaymentOutputSerializer,
    ReasonInputSerializer,
    RemittanceOutputSerializer,
    RemittanceUploadSerializer,
    StatementLineOutputSerializer,
    StatementOutputSerializer,
    StatementUploadSerializer,
)
from collections_app.bank_files.types import CsvColumnMapping
from collections_app.models import CsvMappingProfile, Payment
from collections_app.services.imports import csv_mapping_for
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.views import TenantAPIView
from otc.customers.selectors import customer_get
from otc.errors import NotFound, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.roles import Perm

TAGS = ["Cash application"]
_PAGE = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next` or `previous`."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 200; default 50."),
]


def _payment_detail(view: TenantAPIView, payment: Payment) -> dict[str, Any]:
    payment = selectors.payment_get(tenant=view.tenant, payment_id=payment.pk)
    data = dict(PaymentOutputSerializer(payment).data)
    allocations = selectors.payment_allocations(tenant=view.tenant, payment=payment)
    data["applications"] = (
        PaymentDetailSerializer().fields["applications"].to_representation(allocations)
    )
    data["proposals"] = [
        selectors.proposal_as_dict(p)
        for p in selectors.payment_proposals(tenant=view.tenant, payment=payment)[:20]
    ]
    return data


class LinePagination(CursorPagination):
    ordering = ("position", "id")  # type: ignore[assignment]


class _CashView(TenantAPIView):
    read_permission = Perm.CASH_VIEW
    write_permission = Perm.CASH_APPLY


class PaymentListApi(_CashView):
    @extend_schema(
        tags=TAGS,
        operation_id="payments_list",
        parameters=[PaymentFilterSerializer],
        responses=PaymentOutputSerializer(many=True),
        description="Payments, newest first; filter by status, customer, statement or "
        "`updated_since` for a delta sync.",
    )
    def get(self, request: Request) -> Response:
        filters = PaymentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = {
            k: v for k, v in filters.validated_data.items() if k not in ("page_size", "cursor")
        }
        payments = selectors.payment_list(tenant=self.tenant, **params)
        return paginated_response(
            queryset=payments, serializer_class=PaymentOutputSerializer, request=request, view=self
        )

    @extend_schema(
        tags=TAGS,
        operation_id="payments_create",
        request=PaymentInputSerializer,
        responses={201: PaymentDetailSerializer},
        description="Record an incoming payment. With `customer_id` it is posted to the "
        "ledger as unapplied cash at once; matching runs in the background. A second "
        "payment with the same `external_ref` answers 409.",
    )
    def post(self, request: Request) -> Response:
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        customer_id = fields.pop("customer_id", None)
        customer = None
        if customer_id is not None:
            try:
                customer = customer_get(tenant=self.tenant, customer_id=customer_id)
            except NotFound as error:
                raise ValidationFailed(
                    errors={"customer_id": [f"No customer {customer_id} in this company."]}
                ) from error
        payment = services.payment_create(
            tenant=self.tenant, actor=self.actor, customer=customer, source="api", **fields
        )
        return Response(
            _payment_detail(self, payment),
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api-payment-detail", kwargs={"payment_id": payment.pk})},
        )


class PaymentDetailApi(_CashView):
    @extend_schema(
        tags=TAGS,
        operation_id="payments_retrieve",
        responses=PaymentDetailSerializer,
        description="A payment with its applications and the engine's proposals "
        "(confidence, explanation, reasons).",
    )
    def get(self, request: Request, payment_id: int) -> Response:
        payment = selectors.payment_get(tenant=self.tenant, payment_id=payment_id)
        return Response(_payment_detail(self, payment))


class PaymentApplyApi(_CashView):
    @extend_schema(
        tags=TAGS,
        operation_id="payments_apply",
        request=ApplyInputSerializer,
        responses=PaymentDetailSerializer,
        description="Accept a proposal (`proposal_id`) or allocate by hand (`customer_id` and "
        "`lines`; what is not allocated stays on account, `deduction` opens a deduction). "
        "A proposal made stale by another application answers 409.",
    )
    def post(self, request: Request, payment_id: int) -> Response:
        payment = selectors.payment_get(tenant=self.tenant, payment_id=payment_id)
        data = ApplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "proposal_id" in values:
            proposal = selectors.proposal_get(
                tenant=self.tenant, payment=payment, proposal_id=values["proposal_id"]
            )
            services.proposal_apply(tenant=self.tenant, actor=self.actor, proposal_id=proposal.pk)
        else:
            try:
                customer = customer_get(tenant=self.tenant, customer_id=values["customer_id"])
            except NotFound as error:
                raise ValidationFailed(
                    errors={"customer_id": [f"No customer {values['customer_id']} here."]}
                ) from error
            services.payment_allocate(
                tenant=self.tenant,
                actor=self.actor,
                payment_id=payment.pk,
                customer=customer,
                lines=[services.ManualLine(**line) for line in values["lines"]],
                note=values.get("note", ""),
            )
        return Response(_payment_detail(self, payment))


def _reason_action(name: str, service: Any, description: str) -> type[_CashView]:
    class ReasonActionApi(_CashView):
        @extend_schema(
            tags=TAGS,
            operation_id=f"payments_{name}",
            request=ReasonInputSerializer,
            responses=PaymentDetailSerializer,
            description=description,
        )
        def post(self, request: Request, payment_id: int) -> Response:
            payment = selectors.payment_get(tenant=self.tenant, payment_id=payment_id)
            data = ReasonInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            service(
                tenant=self.tenant,
                actor=self.actor,
                payment_id=payment.pk,
                reason=data.validated_data["reason"],
            )
            return Response(_payment_detail(self, payment))

    ReasonActionApi.__name__ = f"Payment{name.title()}Api"
    return ReasonActionApi


PaymentUnapplyApi = _reason_action(
    "unapply",
    services.payment_unapply,
    "Reverse every application of the payment; the invoices reopen, the cash is unapplied.",
)
PaymentReturnApi = _reason_action(
    "return",
    services.payment_return,
    "The bank returned the payment (NSF, chargeback): applications reversed, payment closed.",
)
PaymentRefundApi = _reason_action(
    "refund",
    services.payment_refund,
    "Unapplied cash paid back to the payer; 409 while anything is applied.",
)


class PaymentMatchApi(_CashView):
    @extend_schema(
        tags=TAGS,
        operation_id="payments_match",
        request=None,
        responses=PaymentDetailSerializer,
        description="Run the matching engine for this payment now; a proposal at or above the "
        "tenant's threshold is applied.",
    )
    def post(self, request: Request, payment_id: int) -> Response:
        payment = selectors.payment_get(tenant=self.tenant, payment_id=payment_id)
        services.payments_match(tenant=self.tenant, actor=self.actor, payment_ids=[payment.pk])
        return Response(_payment_detail(self, payment))


class StatementListApi(_CashView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS,
        operation_id="bank_statements_list",
        parameters=_PAGE,
        responses=StatementOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=selectors.statement_list(tenant=self.tenant),
            serializer_class=StatementOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="bank_statements_import",
        request={"multipart/form-data": StatementUploadSerializer},
        responses={201: ImportOutputSerializer},
        description="Upload a CAMT.053/054, BAI2, MT940/942 or CSV file (`format` detected "
        "unless given; CSV needs `csv_mapping_id`). All or nothing: a malformed file imports "
        "nothing and the problem names the line or element. Entries imported before are "
        "skipped and reported in `messages`. Matching runs in the background.",
    )
    def post(self, request: Request) -> Response:
        data = StatementUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = services.bank_file_import(
            tenant=self.tenant,
            actor=self.actor,
            data=upload.read(),
            file_name=upload.name or "",
            file_format=data.validated_data.get("format"),
            csv_mapping=csv_mapping_for(
                tenant=self.tenant, profile_id=data.validated_data.get("csv_mapping_id")
            ),
        )
        body = ImportOutputSerializer(result).data
        return Response(body, status=status.HTTP_201_CREATED)


class StatementDetailApi(_CashView):
    @extend_schema(
        tags=TAGS, operation_id="bank_statements_retrieve", responses=StatementOutputSerializer
    )
    def get(self, request: Request, statement_id: int) -> Response:
        statement = selectors.statement_get(tenant=self.tenant, statement_id=statement_id)
        return Response(StatementOutputSerializer(statement).data)


class StatementLinesApi(_CashView):
    @extend_schema(
        tags=TAGS,
        operation_id="bank_statements_lines",
        parameters=_PAGE,
        responses=StatementLineOutputSerializer(many=True),
        description="The statement's lines with their payment, match confidence and explanation.",
    )
    def get(self, request: Request, statement_id: int) -> Response:
        statement = selectors.statement_get(tenant=self.tenant, statement_id=statement_id)
        return paginated_response(
            queryset=selectors.statement_lines(tenant=self.tenant, statement=statement),
            serializer_class=StatementLineOutputSerializer,
            request=request,
            view=self,
            pagination_class=LinePagination,
        )


class RemittanceListApi(_CashView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS,
        operation_id="remittances_list",
        parameters=_PAGE,
        responses=RemittanceOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=selectors.remittance_list(tenant=self.tenant),
            serializer_class=RemittanceOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="remittances_import",
        request={"multipart/form-data": RemittanceUploadSerializer},
        responses={201: RemittanceOutputSerializer(many=True)},
        description="Upload remittance advices (EDI 820 or CSV); each is linked to its payment "
        "and an open payment is matched again with the advice's lines.",
    )
    def post(self, request: Request) -> Response:
        data = RemittanceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        created = services.remittance_import(
            tenant=self.tenant,
            actor=self.actor,
            data=upload.read(),
            file_name=upload.name or "",
            file_format=data.validated_data.get("format"),
        )
        fresh = selectors.remittance_list(tenant=self.tenant).filter(pk__in=[r.pk for r in created])
        return Response(
            RemittanceOutputSerializer(fresh, many=True).data, status=status.HTTP_201_CREATED
        )


class RemittanceDetailApi(_CashView):
    @extend_schema(
        tags=TAGS, operation_id="remittances_retrieve", responses=RemittanceOutputSerializer
    )
    def get(self, request: Request, remittance_id: int) -> Response:
        remittance = selectors.remittance_get(tenant=self.tenant, remittance_id=remittance_id)
        return Response(RemittanceOutputSerializer(remittance).data)


class MetricsFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    statement_id = serializers.IntegerField(required=False, min_value=1)


class CashMetricsApi(_CashView):
    @extend_schema(
        tags=TAGS,
        operation_id="cash_metrics",
        parameters=[MetricsFilterSerializer],
        responses=MetricsOutputSerializer,
        description="Auto-applied rate by count and amount (payment and invoice level), "
        "precision of automatic applications (share not later reversed by a person) and the "
        "manual queue, for a period (default: the last 30 days) or one statement.",
    )
    def get(self, request: Request) -> Response:
        filters = MetricsFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        today = tenant_today(self.tenant)
        date_to: date = filters.validated_data.get("date_to", today)
        date_from: date = filters.validated_data.get("date_from", date_to - timedelta(days=30))
        statement_id = filters.validated_data.get("statement_id")
        if statement_id is not None:
            selectors.statement_get(tenant=self.tenant, statement_id=statement_id)
        metrics = selectors.cash_metrics(
            tenant=self.tenant, date_from=date_from, date_to=date_to, statement_id=statement_id
        )
        return Response(MetricsOutputSerializer(metrics).data)


class CsvMappingListApi(_CashView):
    @extend_schema(
        tags=TAGS,
        operation_id="csv_mappings_list",
        parameters=_PAGE,
        responses=CsvMappingOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=CsvMappingProfile.objects.for_tenant(self.tenant),
            serializer_class=CsvMappingOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="csv_mappings_save",
        request=CsvMappingInputSerializer,
        responses={201: CsvMappingOutputSerializer},
        description="Save (or replace, by name) a CSV column mapping; pass its id as "
        "`csv_mapping_id` when uploading a CSV statement.",
    )
    def post(self, request: Request) -> Response:
        data = CsvMappingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        name = values.pop("name")
        profile = services.csv_mapping_save(
            tenant=self.tenant, actor=self.actor, name=name, mapping=CsvColumnMapping(**values)
        )
        return Response(CsvMappingOutputSerializer(profile).data, status=status.HTTP_201_CREATED)
