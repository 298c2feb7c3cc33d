"""REST endpoints of the customer master for ERP systems: validate the input,
call a service, serialize the result. Customers are closed, never deleted."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from otc.api.pagination import CursorPagination, paginated_response
from otc.api.views import TenantAPIView
from otc.customers import selectors, services
from otc.customers.api.serializers import (
    CountryCodeField,
    CustomerFilterSerializer,
    CustomerInputSerializer,
    CustomerOutputSerializer,
    CustomerStatusInputSerializer,
    PaymentTermsInputSerializer,
    PaymentTermsOutputSerializer,
)
from otc.customers.models import Customer
from otc.errors import ValidationFailed
from otc.tenancy.roles import Perm

CUSTOMER_TAGS = ["Customers"]
TERMS_TAGS = ["Payment terms"]

# Service field names that the API spells differently.
_API_FIELD = {
    "payment_terms": "payment_terms_code",
    "parent": "parent_id",
    "collector": "collector_email",
}


class CustomerCursorPagination(CursorPagination):
    """Newest first; with `updated_since`, oldest change first, so a delta
    sync can keep the last `updated_at` it saw as its next watermark."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        if "updated_since" in request.query_params:
            return ("updated_at", "id")
        return ("-id",)


class CustomerPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(allow_null=True)
    results = CustomerOutputSerializer(many=True)


class PaymentTermsPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PaymentTermsOutputSerializer(many=True)


_EXTERNAL_REF_PARAMETER = OpenApiParameter(
    "external_ref",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The ERP's id of the customer, URL-encoded (`/` as `%2F`); at most 100 characters.",
)
_PAGE_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next` or `previous`."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 200; default 50."),
]


def _split(validated: dict[str, Any]) -> tuple[services.CustomerFields, Any, Any]:
    """Validated API input as service arguments: master data fields, and the
    contact and address lists (None when not sent)."""
    data = dict(validated)
    contacts = data.pop("contacts", None)
    addresses = data.pop("addresses", None)
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name == "payment_terms_code":
            fields["payment_terms"] = value
        elif name in ("parent_id", "parent_external_ref"):
            fields["parent"] = value
        elif name == "collector_email":
            fields["collector"] = value
        elif name == "external_ref":
            fields["external_ref"] = value or None
        else:
            fields[name] = value
    return services.CustomerFields(**fields), contacts, addresses  # type: ignore[typeddict-item]


def _in_api_terms(error: ValidationFailed, sent: dict[str, Any]) -> ValidationFailed:
    """The same error, with field names as the API caller sent them."""
    renamed: dict[str, list[str]] = {}
    for field, messages in error.errors.items():
        name = _API_FIELD.get(field, field)
        if field == "parent" and "parent_external_ref" in sent:
            name = "parent_external_ref"
        renamed[name] = messages
    return ValidationFailed(error.detail, errors=renamed, code=error.code)


def _customer_body(customer: Customer, tenant: Any) -> dict[str, Any]:
    fresh = selectors.customer_get(tenant=tenant, customer_id=customer.pk, with_children=True)
    return dict(CustomerOutputSerializer(fresh).data)


class CustomerListApi(TenantAPIView):
    read_permission = Perm.CUSTOMERS_VIEW
    write_permission = Perm.CUSTOMERS_EDIT

    @extend_schema(
        tags=CUSTOMER_TAGS,
        operation_id="customers_list",
        parameters=[CustomerFilterSerializer, *_PAGE_PARAMETERS],
        responses=CustomerPageSerializer,
        description="Customers with their contacts and addresses, newest first, paginated "
        "by cursor. With `updated_since` the list holds the customers changed since then, "
        "oldest change first: the delta sync of an ERP.",
    )
    def get(self, request: Request) -> Response:
        filters = CustomerFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        customers = selectors.customer_list(
            tenant=self.tenant, with_children=True, **filters.validated_data
        )
        return paginated_response(
            queryset=customers,
            serializer_class=CustomerOutputSerializer,
            request=request,
            view=self,
            pagination_class=CustomerCursorPagination,
        )

    @extend_schema(
        tags=CUSTOMER_TAGS,
        operation_id="customers_create",
        request=CustomerInputSerializer,
        responses={201: CustomerOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = CustomerInputSerializer(data=request.data, context={"tenant": self.tenant})
        data.is_valid(raise_exception=True)
        fields, contacts, addresses = _split(data.validated_data)
        try:
            customer = services.customer_create(
                tenant=self.tenant,
                actor=self.actor,
                contacts=contacts or (),
                addresses=addresses or (),
                **fields,
            )
        except ValidationFailed as error:
            raise _in_api_terms(error, data.validated_data) from error
        location = reverse("api-customer-detail", kwargs={"customer_id": customer.pk})
        return Response(
            _customer_body(customer, self.tenant),
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class CustomerDetailApi(TenantAPIView):
    read_permission = Perm.CUSTOMERS_VIEW
    write_permission = Perm.CUSTOMERS_EDIT

    @extend_schema(
        tags=CUSTOMER_TAGS, operation_id="customers_retrieve", responses=CustomerOutputSerializer
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = selectors.customer_get(
            tenant=self.tenant, customer_id=customer_id, with_children=True
        )
        return Response(CustomerOutputSerializer(customer).data)

    @extend_schema(
        tags=CUSTOMER_TAGS,
        operation_id="customers_partial_update",
        request=CustomerInputSerializer,
        responses=CustomerOutputSerializer,
        description="Change the fields sent. `contacts` / `addresses`, when sent, are the "
        "complete lists. The status changes through `POST .../status/`. Customers are "
        "never deleted: close them.",
    )
    def patch(self, request: Request, customer_id: int) -> Response:
        customer = selectors.customer_get(tenant=self.tenant, customer_id=customer_id)
        data = CustomerInputSerializer(
            data=request.data, partial=True, context={"tenant": self.tenant}
        )
        data.is_valid(raise_exception=True)
        fields, contacts, addresses = _split(data.validated_data)
        try:
            customer = services.customer_update(
                tenant=self.tenant,
                actor=self.actor,
                customer=customer,
                data=fields,
                contacts=contacts,
                addresses=addresses,
            )
        except ValidationFailed as error:
            raise _in_api_terms(error, data.validated_data) from error
        return Response(_customer_body(customer, self.tenant))


class CustomerUpsertInputSerializer(CustomerInputSerializer):
    """Everything optional: an update changes what is sent; creating still
    needs legal_name and country (a 422 names them when missing)."""

    legal_name = serializers.CharField(max_length=200, required=False)
    country = CountryCodeField(required=False)


class CustomerByExternalRefApi(TenantAPIView):
    read_permission = Perm.CUSTOMERS_VIEW
    write_permission = Perm.CUSTOMERS_EDIT

    @extend_schema(
        tags=CUSTOMER_TAGS,
        operation_id="customers_retrieve_by_external_ref",
        parameters=[_EXTERNAL_REF_PARAMETER],
        responses=CustomerOutputSerializer,
    )
    def get(self, request: Request, external_ref: str) -> Response:
        customer = selectors.customer_get_by_external_ref(
            tenant=self.tenant, external_ref=external_ref, with_children=True
        )
        return Response(CustomerOutputSerializer(customer).data)

    @extend_schema(
        tags=CUSTOMER_TAGS,
        operation_id="customers_upsert_by_external_ref",
        parameters=[_EXTERNAL_REF_PARAMETER],
        request=CustomerUpsertInputSerializer,
        responses={200: CustomerOutputSerializer, 201: CustomerOutputSerializer},
        description="Create the customer the ERP knows by this reference (201), or update it "
        "(200). Fields left out keep their value on update, so data OTC owns (collector, "
        "status) survives. Repeating a call changes nothing: no Idempotency-Key needed.",
    )
    def put(self, request: Request, external_ref: str) -> Response:
        data = CustomerUpsertInputSerializer(data=request.data, context={"tenant": self.tenant})
        data.is_valid(raise_exception=True)
        fields, contacts, addresses = _split(data.validated_data)
        try:
            customer, created = services.customer_upsert_by_external_ref(
                tenant=self.tenant,
                actor=self.actor,
                external_ref=external_ref,
                data=fields,
                contacts=contacts,
                addresses=addresses,
            )
        except ValidationFailed as error:
            raise _in_api_terms(error, data.validated_data) from error
        return Response(
            _customer_body(customer, self.tenant),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CustomerStatusApi(TenantAPIView):
    read_permission = Perm.CUSTOMERS_VIEW
    write_permission = Perm.CUSTOMERS_EDIT

    @extend_schema(
        tags=CUSTOMER_TAGS,
        operation_id="customers_set_status",
        request=CustomerStatusInputSerializer,
        responses=CustomerOutputSerializer,
        description="Move the customer to another status. Allowed: active → on_hold, "
        "in_legal, closed; on_hold → active, in_legal, closed; in_legal → active, closed; "
        "closed → active. Anything else answers 409 (`illegal_transition`).",
    )
    def post(self, request: Request, customer_id: int) -> Response:
        customer = selectors.customer_get(tenant=self.tenant, customer_id=customer_id)
        data = CustomerStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_set_status(
            tenant=self.tenant,
            actor=self.actor,
            customer=customer,
            status=data.validated_data["status"],
            reason=data.validated_data.get("reason", ""),
        )
        return Response(_customer_body(customer, self.tenant))


class PaymentTermsListApi(TenantAPIView):
    read_permission = Perm.CUSTOMERS_VIEW
    write_permission = Perm.CUSTOMERS_EDIT

    class FilterSerializer(serializers.Serializer):
        active = serializers.BooleanField(
            required=False, allow_null=True, default=None, help_text="true: only active terms."
        )

    @extend_schema(
        tags=TERMS_TAGS,
        operation_id="payment_terms_list",
        parameters=[FilterSerializer, *_PAGE_PARAMETERS],
        responses=PaymentTermsPageSerializer,
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        terms = selectors.payment_terms_list(
            tenant=self.tenant, active_only=bool(filters.validated_data.get("active"))
        )
        return paginated_response(
            queryset=terms,
            serializer_class=PaymentTermsOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        tags=TERMS_TAGS,
        operation_id="payment_terms_create",
        request=PaymentTermsInputSerializer,
        responses={201: PaymentTermsOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = PaymentTermsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        terms = services.payment_terms_create(
            tenant=self.tenant, actor=self.actor, **data.validated_data
        )
        location = reverse("api-payment-terms-detail", kwargs={"terms_id": terms.pk})
        return Response(
            PaymentTermsOutputSerializer(terms).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class PaymentTermsDetailApi(TenantAPIView):
    read_permission = Perm.CUSTOMERS_VIEW
    write_permission = Perm.CUSTOMERS_EDIT

    @extend_schema(
        tags=TERMS_TAGS,
        operation_id="payment_terms_retrieve",
        responses=PaymentTermsOutputSerializer,
    )
    def get(self, request: Request, terms_id: int) -> Response:
        terms = selectors.payment_terms_get(tenant=self.tenant, terms_id=terms_id)
        return Response(PaymentTermsOutputSerializer(terms).data)

    @extend_schema(
        tags=TERMS_TAGS,
        operation_id="payment_terms_partial_update",
        request=PaymentTermsInputSerializer,
        responses=PaymentTermsOutputSerializer,
        description="Change the fields sent. Invoices already issued keep their due dates.",
    )
    def patch(self, request: Request, terms_id: int) -> Response:
        terms = selectors.payment_terms_get(tenant=self.tenant, terms_id=terms_id)
        data = PaymentTermsInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        terms = services.payment_terms_update(
            tenant=self.tenant,
            actor=self.actor,
            terms=terms,
            data=services.PaymentTermsFields(**data.validated_data),
        )
        return Response(PaymentTermsOutputSerializer(terms).data)
