"""REST endpoints of credit: orders with their instant credit decision, the
analyst's decisions, and credit profiles. Thin: validate, call a service,
serialize."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from credit import selectors, services
from credit.api.serializers import (
    REASON_CODES_HELP,
    CreditProfileDetailSerializer,
    CreditProfileFilterSerializer,
    CreditProfileOutputSerializer,
    CreditProfilePageSerializer,
    LimitInputSerializer,
    NoteInputSerializer,
    OrderCancelInputSerializer,
    OrderEventFilterSerializer,
    OrderEventOutputSerializer,
    OrderFilterSerializer,
    OrderInputSerializer,
    OrderOutputSerializer,
    OrderPageSerializer,
    ProfileUpdateInputSerializer,
    ReleaseInputSerializer,
)
from credit.models import LimitKind, Order, OrderLine
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.views import TenantAPIView
from otc.customers.models import Customer
from otc.errors import NotFound, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm

ORDER_TAGS = ["Orders and credit holds"]
PROFILE_TAGS = ["Credit profiles"]

_DECISION_TEXT = (
    "The response carries the credit decision: `decision.outcome` is `approved` (it may "
    "ship) or `held`; a held order lists machine-readable `decision.reasons[].code` with "
    "the text to show. " + REASON_CODES_HELP
)


class DeltaCursorPagination(CursorPagination):
    """Newest first; with `updated_since`, oldest change first (a delta sync
    keeps the last `updated_at` it saw as its next watermark)."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        if "updated_since" in request.query_params:
            return ("updated_at", "id")
        return ("-id",)


def _with_lines(orders: QuerySet[Order], tenant: Tenant) -> QuerySet[Order]:
    return orders.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.for_tenant(tenant)))


def order_body(order: Order, tenant: Tenant) -> dict[str, Any]:
    """The order as a service returned it (with its customer), plus its lines."""
    if order.customer.tenant_id != tenant.pk:  # never: services return the tenant's rows
        raise NotFound("No such order.")
    prefetch_related_objects(
        [order], Prefetch("lines", queryset=OrderLine.objects.for_tenant(tenant))
    )
    return dict(OrderOutputSerializer(order).data)


class OrderListApi(TenantAPIView):
    read_permission = Perm.ORDERS_VIEW
    write_permission = Perm.ORDERS_EDIT

    @extend_schema(
        tags=ORDER_TAGS,
        operation_id="orders_list",
        parameters=[OrderFilterSerializer],
        responses=OrderPageSerializer,
        description="Orders, newest first. With `updated_since`, the orders changed since "
        "then, oldest change first: poll this to learn credit decisions.",
    )
    def get(self, request: Request) -> Response:
        filters = OrderFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = {
            k: v for k, v in filters.validated_data.items() if k not in {"cursor", "page_size"}
        }
        orders = selectors.order_list(tenant=self.tenant, **params)
        return paginated_response(
            queryset=_with_lines(orders, self.tenant),
            serializer_class=OrderOutputSerializer,
            request=request,
            view=self,
            pagination_class=DeltaCursorPagination,
        )

    @extend_schema(
        tags=ORDER_TAGS,
        operation_id="orders_create",
        request=OrderInputSerializer,
        responses={201: OrderOutputSerializer},
        description="Create an order and, unless `submit` is false, run the credit check "
        "in the same request. " + _DECISION_TEXT,
    )
    def post(self, request: Request) -> Response:
        data = OrderInputSerializer(data=request.data, context={"tenant": self.tenant})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        lines = [services.OrderLineInput(**line) for line in fields.pop("lines")]
        order = services.order_create(tenant=self.tenant, actor=self.actor, lines=lines, **fields)
        location = reverse("api-order-detail", kwargs={"order_id": order.pk})
        return Response(
            order_body(order, self.tenant),
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class OrderDetailApi(TenantAPIView):
    read_permission = Perm.ORDERS_VIEW

    @extend_schema(
        tags=ORDER_TAGS,
        operation_id="orders_retrieve",
        responses=OrderOutputSerializer,
        description="One order with its current credit decision.",
    )
    def get(self, request: Request, order_id: int) -> Response:
        order = selectors.order_get(tenant=self.tenant, order_id=order_id)
        return Response(order_body(order, self.tenant))


class _OrderActionApi(TenantAPIView):
    read_permission = Perm.ORDERS_VIEW

    def _order(self, order_id: int) -> Order:
        return selectors.order_get(tenant=self.tenant, order_id=order_id)

    def _done(self, order: Order) -> Response:
        return Response(order_body(order, self.tenant))


class OrderSubmitApi(_OrderActionApi):
    write_permission = Perm.ORDERS_EDIT

    @extend_schema(
        tags=ORDER_TAGS,
        operation_id="orders_submit",
        request=None,
        responses=OrderOutputSerializer,
        description="Submit a draft, or an order whose information was requested, to the "
        "credit check. A held order answers 409: only an analyst lifts a hold. " + _DECISION_TEXT,
    )
    def post(self, request: Request, order_id: int) -> Response:
        order = self._order(order_id)
        return self._done(services.order_submit(tenant=self.tenant, actor=self.actor, order=order))


class OrderReleaseApi(_OrderActionApi):
    write_permission = Perm.CREDIT_APPROVE

    @extend_schema(
        tags=ORDER_TAGS,
        operation_id="orders_release",
        request=ReleaseInputSerializer,
        responses=OrderOutputSerializer,
        description="Lift a credit hold (credit analysts): the whole order or `amount` of "
        "it, optionally only against prepayment.",
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = ReleaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_release(
            tenant=self.tenant, actor=self.actor, order=self._order(order_id), **data.validated_data
        )
        return self._done(order)


class OrderRejectApi(_OrderActionApi):
    write_permission = Perm.CREDIT_APPROVE

    @extend_schema(
        tags=ORDER_TAGS,
        operation_id="orders_reject",
        request=NoteInputSerializer,
        responses=OrderOutputSerializer,
        description="Reject a held order (credit analysts), saying why.",
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_reject(
            tenant=self.tenant, actor=self.actor, order=self._order(order_id), **data.validated_data
        )
        return self._done(order)


class OrderRequestInfoApi(_OrderActionApi):
    write_permission = Perm.CREDIT_APPROVE

    @extend_schema(
        tags=ORDER_TAGS,
        operation_id="orders_request_info",
        request=NoteInputSerializer,
        responses=OrderOutputSerializer,
        description="Ask for information before deciding on a held order (credit "
        "analysts). The ERP resubmits the order with `POST /orders/{id}/submit/`.",
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_request_info(
            tenant=self.tenant, actor=self.actor, order=self._order(order_id), **data.validated_data
        )
        return self._done(order)


class OrderCancelApi(_OrderActionApi):
    write_permission = Perm.ORDERS_EDIT

    @extend_schema(
        tags=ORDER_TAGS,
        operation_id="orders_cancel",
        request=OrderCancelInputSerializer,
        responses=OrderOutputSerializer,
        description="Cancel an order that is not invoiced yet; its exposure ends.",
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = OrderCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_cancel(
            tenant=self.tenant, actor=self.actor, order=self._order(order_id), **data.validated_data
        )
        return self._done(order)


class OrderEventListApi(TenantAPIView):
    read_permission = Perm.ORDERS_VIEW

    @extend_schema(
        tags=ORDER_TAGS,
        operation_id="order_events_list",
        parameters=[OrderEventFilterSerializer],
        responses=OrderEventOutputSerializer(many=True),
        description="The order outbox: every credit decision and status change, oldest "
        "first. Poll with `after` set to the last id you processed; webhooks, when they "
        "come, deliver the same events.",
    )
    def get(self, request: Request) -> Response:
        filters = OrderEventFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        events = selectors.order_outbox(
            tenant=self.tenant,
            after=filters.validated_data.get("after", 0),
            limit=filters.validated_data["limit"],
        )
        return Response(OrderEventOutputSerializer(events, many=True).data)


# --- credit profiles ----------------------------------------------------------------------


def _customer(tenant: Tenant, customer_id: int) -> Customer:
    customer = Customer.objects.for_tenant(tenant).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def profile_body(tenant: Tenant, customer: Customer) -> dict[str, Any]:
    profile: Any = (
        selectors.credit_profile_list(tenant=tenant).filter(customer_id=customer.pk).first()
    )
    if profile is None:
        services.credit_profile_ensure(tenant=tenant, customer=customer)
        profile = selectors.credit_profile_list(tenant=tenant).get(customer_id=customer.pk)
    policy = selectors.credit_policy_get(tenant=tenant)
    today = tenant_today(tenant)
    profile.exposure_figures = selectors.customer_exposure(
        tenant=tenant,
        customer=customer,
        limit=profile.credit_limit,
        overdue_days=policy.overdue_days,
        today=today,
    )
    latest = selectors.credit_score_latest(tenant=tenant, customer=customer)
    profile.breakdown = latest.breakdown if latest is not None else []
    profile.group_figures = None
    if profile.group_limit is not None:
        profile.group_figures = selectors.group_exposure(
            tenant=tenant,
            root=customer,
            limit=profile.group_limit,
            overdue_days=policy.overdue_days,
            today=today,
        )
    return dict(CreditProfileDetailSerializer(profile).data)


class ProfileCursorPagination(CursorPagination):
    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        if "updated_since" in request.query_params:
            return ("updated_at", "id")
        return ("-id",)


class CreditProfileListApi(TenantAPIView):
    read_permission = Perm.CREDIT_VIEW

    @extend_schema(
        tags=PROFILE_TAGS,
        operation_id="credit_profiles_list",
        parameters=[CreditProfileFilterSerializer],
        responses=CreditProfilePageSerializer,
        description="Credit profiles with each customer's own exposure (base currency).",
    )
    def get(self, request: Request) -> Response:
        filters = CreditProfileFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = {
            k: v for k, v in filters.validated_data.items() if k not in {"cursor", "page_size"}
        }
        return paginated_response(
            queryset=selectors.credit_profile_list(tenant=self.tenant, **params),
            serializer_class=CreditProfileOutputSerializer,
            request=request,
            view=self,
            pagination_class=ProfileCursorPagination,
        )


class CreditProfileDetailApi(TenantAPIView):
    read_permission = Perm.CREDIT_VIEW
    write_permission = Perm.CREDIT_EDIT

    @extend_schema(
        tags=PROFILE_TAGS,
        operation_id="credit_profiles_retrieve",
        parameters=[OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses=CreditProfileDetailSerializer,
        description="A customer's credit profile with its exposure breakdown. A customer "
        "without a profile gets one with a zero limit.",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        return Response(profile_body(self.tenant, _customer(self.tenant, customer_id)))

    @extend_schema(
        tags=PROFILE_TAGS,
        operation_id="credit_profiles_partial_update",
        parameters=[OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=ProfileUpdateInputSerializer,
        responses=CreditProfileDetailSerializer,
        description="Change the risk class (overriding the scorecard), the external rating "
        "(rescores at once), the next review date or the credit block (`is_blocked` true "
        "needs `blocked_reason`).",
    )
    def patch(self, request: Request, customer_id: int) -> Response:
        customer = _customer(self.tenant, customer_id)
        data = ProfileUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        profile_fields = {
            "risk_class",
            "next_review_date",
            "external_rating",
            "external_rating_agency",
        }
        if profile_fields & set(values):
            services.credit_profile_update(
                tenant=self.tenant,
                actor=self.actor,
                customer=customer,
                risk_class=values.get("risk_class"),
                next_review_date=values.get("next_review_date"),
                clear_review_date="next_review_date" in values
                and values["next_review_date"] is None,
                external_rating=values.get("external_rating"),
                external_rating_agency=values.get("external_rating_agency"),
            )
        if values.get("is_blocked") is True:
            try:
                services.credit_profile_block(
                    tenant=self.tenant,
                    actor=self.actor,
                    customer=customer,
                    reason=values.get("blocked_reason", ""),
                )
            except ValidationFailed as error:
                raise ValidationFailed(
                    error.detail, errors={"blocked_reason": error.errors.get("reason", [])}
                ) from error
        elif values.get("is_blocked") is False:
            services.credit_profile_unblock(
                tenant=self.tenant,
                actor=self.actor,
                customer=customer,
                reason=values.get("blocked_reason", ""),
            )
        return Response(profile_body(self.tenant, customer))


class CreditLimitApi(TenantAPIView):
    read_permission = Perm.CREDIT_VIEW
    write_permission = Perm.CREDIT_APPROVE

    @extend_schema(
        tags=PROFILE_TAGS,
        operation_id="credit_profiles_set_limit",
        parameters=[OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=LimitInputSerializer,
        responses=CreditProfileDetailSerializer,
        description="Set the customer's limit (or, `kind: group`, the limit of the group "
        "it heads), with a reason kept in the limit history.",
    )
    def post(self, request: Request, customer_id: int) -> Response:
        customer = _customer(self.tenant, customer_id)
        data = LimitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.credit_limit_set(
            tenant=self.tenant,
            actor=self.actor,
            customer=customer,
            amount=data.validated_data["amount"],
            reason=data.validated_data["reason"],
            kind=LimitKind(data.validated_data["kind"]),
        )
        return Response(profile_body(self.tenant, customer))
