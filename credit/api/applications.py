"""REST endpoints of credit applications: ERP systems and sales tools file
them (customers.edit), credit analysts and managers decide (credit.approve)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from credit import selectors, services
from credit.api.serializers import (
    ApplicationFilterSerializer,
    ApplicationInputSerializer,
    ApplicationOutputSerializer,
    ApplicationPageSerializer,
    ApproveInputSerializer,
    NoteInputSerializer,
)
from credit.api.views import ProfileCursorPagination
from credit.models import CreditApplication
from otc.api.pagination import paginated_response
from otc.api.views import TenantAPIView
from otc.customers.models import Customer
from otc.errors import ValidationFailed
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm

TAGS = ["Credit applications"]


class _WithRatios(ApplicationOutputSerializer):
    def to_representation(self, instance: Any) -> Any:
        instance.ratios = services.application_ratios(instance)
        return super().to_representation(instance)


def body(application: CreditApplication) -> dict[str, Any]:
    return dict(_WithRatios(application).data)


class ApplicationListApi(TenantAPIView):
    read_permission = Perm.CREDIT_VIEW
    write_permission = Perm.CUSTOMERS_EDIT

    @extend_schema(
        tags=TAGS,
        operation_id="credit_applications_list",
        parameters=[ApplicationFilterSerializer],
        responses=ApplicationPageSerializer,
    )
    def get(self, request: Request) -> Response:
        filters = ApplicationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = {
            k: v for k, v in filters.validated_data.items() if k not in {"cursor", "page_size"}
        }
        return paginated_response(
            queryset=selectors.application_list(tenant=self.tenant, **params),
            serializer_class=_WithRatios,
            request=request,
            view=self,
            pagination_class=ProfileCursorPagination,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="credit_applications_create",
        request=ApplicationInputSerializer,
        responses={201: ApplicationOutputSerializer},
        description="File a credit application (a new customer's first limit or a limit "
        "change) with statements and trade references; submitted at once unless "
        "`submit` is false.",
    )
    def post(self, request: Request) -> Response:
        data = ApplicationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        customer = _customer(self.tenant, fields.pop("customer_id"))
        application = services.credit_application_create(
            tenant=self.tenant, actor=self.actor, customer=customer, **fields
        )
        location = reverse(
            "api-credit-application-detail", kwargs={"application_id": application.pk}
        )
        return Response(
            body(application), status=status.HTTP_201_CREATED, headers={"Location": location}
        )


def _customer(tenant: Tenant, customer_id: int) -> Customer:
    customer = Customer.objects.for_tenant(tenant).filter(pk=customer_id).first()
    if customer is None:
        raise ValidationFailed(errors={"customer_id": [f"No customer has the id {customer_id}."]})
    return customer


class ApplicationDetailApi(TenantAPIView):
    read_permission = Perm.CREDIT_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="credit_applications_retrieve",
        responses=ApplicationOutputSerializer,
    )
    def get(self, request: Request, application_id: int) -> Response:
        return Response(
            body(selectors.application_get(tenant=self.tenant, application_id=application_id))
        )


class _ActionApi(TenantAPIView):
    read_permission = Perm.CREDIT_VIEW
    write_permission = Perm.CREDIT_APPROVE

    def _get(self, application_id: int) -> CreditApplication:
        return selectors.application_get(tenant=self.tenant, application_id=application_id)


class ApplicationSubmitApi(_ActionApi):
    write_permission = Perm.CUSTOMERS_EDIT

    @extend_schema(
        tags=TAGS,
        operation_id="credit_applications_submit",
        request=None,
        responses=ApplicationOutputSerializer,
        description="Submit a draft, or resubmit after more information was asked for.",
    )
    def post(self, request: Request, application_id: int) -> Response:
        application = services.credit_application_submit(
            tenant=self.tenant, actor=self.actor, application=self._get(application_id)
        )
        return Response(body(application))


class ApplicationStartReviewApi(_ActionApi):
    @extend_schema(
        tags=TAGS,
        operation_id="credit_applications_start_review",
        request=None,
        responses=ApplicationOutputSerializer,
    )
    def post(self, request: Request, application_id: int) -> Response:
        application = services.credit_application_start_review(
            tenant=self.tenant, actor=self.actor, application=self._get(application_id)
        )
        return Response(body(application))


class ApplicationApproveApi(_ActionApi):
    @extend_schema(
        tags=TAGS,
        operation_id="credit_applications_approve",
        request=ApproveInputSerializer,
        responses=ApplicationOutputSerializer,
        description="Approve at `approved_limit` (default: as requested) and set the "
        "customer's limit. A person or API key whose approval limit is below the "
        "amount escalates the application instead (`escalated`).",
    )
    def post(self, request: Request, application_id: int) -> Response:
        data = ApproveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.credit_application_approve(
            tenant=self.tenant,
            actor=self.actor,
            application=self._get(application_id),
            **data.validated_data,
        )
        return Response(body(application))


class ApplicationRejectApi(_ActionApi):
    @extend_schema(
        tags=TAGS,
        operation_id="credit_applications_reject",
        request=NoteInputSerializer,
        responses=ApplicationOutputSerializer,
    )
    def post(self, request: Request, application_id: int) -> Response:
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.credit_application_reject(
            tenant=self.tenant,
            actor=self.actor,
            application=self._get(application_id),
            **data.validated_data,
        )
        return Response(body(application))


class ApplicationRequestInfoApi(_ActionApi):
    @extend_schema(
        tags=TAGS,
        operation_id="credit_applications_request_info",
        request=NoteInputSerializer,
        responses=ApplicationOutputSerializer,
    )
    def post(self, request: Request, application_id: int) -> Response:
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.credit_application_request_info(
            tenant=self.tenant,
            actor=self.actor,
            application=self._get(application_id),
            **data.validated_data,
        )
        return Response(body(application))
