"""REST endpoints of the AR ledger for ERP systems: what a customer owes
(balance, aging) and the open items behind it, with delta sync."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from otc.api.errors import PROBLEM_CONTENT_TYPE
from otc.api.pagination import CursorPagination
from otc.api.serializers import ProblemSerializer
from otc.api.views import TenantAPIView
from otc.customers.selectors import customer_get
from otc.ledger import selectors
from otc.ledger.api.serializers import (
    AgingFilterSerializer,
    AgingSerializer,
    BalanceSerializer,
    OpenItemFilterSerializer,
    OpenItemSerializer,
)
from otc.tenancy.roles import Perm

TAGS = ["AR ledger"]
# These GETs validate query parameters and answer 400 on bad ones; the shared
# schema hook documents 400 for request bodies only.
BAD_QUERY = {(400, PROBLEM_CONTENT_TYPE): ProblemSerializer}
_PAGE_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next` or `previous`."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 200; default 50."),
]


class OpenItemPagination(CursorPagination):
    """Newest first; with `updated_since`, oldest change first, so a delta
    sync can keep the last `updated_at` it saw as its next watermark."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        if "updated_since" in request.query_params:
            return ("updated_at", "id")
        return ("-id",)


class OpenItemPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(allow_null=True)
    results = OpenItemSerializer(many=True)


class OpenItemListApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="open_items_list",
        parameters=[OpenItemFilterSerializer, *_PAGE_PARAMETERS],
        responses={200: OpenItemPageSerializer, **BAD_QUERY},
        description="The ledger's items (invoices, memos, payments, deductions, write-offs; "
        "open and closed), newest first, paginated by cursor. With `updated_since`: the "
        "items posted or whose open amount moved since then, oldest change first, for "
        "delta sync.",
    )
    def get(self, request: Request) -> Response:
        filters = OpenItemFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        items = selectors.open_item_list(
            tenant=self.tenant,
            customer_id=data.pop("customer", None),
            **data,
        )
        paginator = OpenItemPagination()
        page = paginator.paginate_queryset(items, request, view=self)
        body = OpenItemSerializer(
            page, many=True, context={"base_currency": self.tenant.base_currency}
        ).data
        return paginator.get_paginated_response(body)


class CustomerBalanceApi(TenantAPIView):
    read_permission = Perm.CUSTOMERS_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="customers_balance",
        responses=BalanceSerializer,
        description="What the customer owes now: open items netted per currency, and the "
        "total in the tenant's base currency at each item's locked rate.",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        tenant = self.tenant
        customer = customer_get(tenant=tenant, customer_id=customer_id)
        balance = selectors.customer_balance(tenant=tenant, customer=customer)
        body = {
            "customer_id": customer.pk,
            "base_currency": balance.base_currency,
            "balance_base": balance.base,
            "by_currency": [
                {"currency": currency, "open_amount": amount}
                for currency, amount in balance.by_currency.items()
            ],
        }
        return Response(
            BalanceSerializer(body, context={"base_currency": balance.base_currency}).data
        )


class CustomerAgingApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="customers_aging",
        parameters=[AgingFilterSerializer],
        responses={200: AgingSerializer, **BAD_QUERY},
        description="The customer's aging in the base currency as of a date (past dates "
        "are rebuilt from the history), with the items open then.",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        tenant = self.tenant
        customer = customer_get(tenant=tenant, customer_id=customer_id)
        filters = AgingFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        aging = selectors.customer_aging(
            tenant=tenant,
            customer=customer,
            as_of=filters.validated_data.get("as_of"),
            boundaries=filters.validated_data["buckets"],
        )
        body = {
            "customer_id": customer.pk,
            "as_of": aging.as_of,
            "base_currency": aging.base_currency,
            "buckets": [
                {
                    "label": bucket.label,
                    "days_from": bucket.low,
                    "days_to": bucket.high,
                    "amount": amount,
                }
                for bucket, amount in zip(aging.buckets, aging.amounts, strict=True)
            ],
            "unapplied": aging.unapplied,
            "total": aging.total,
            "items": [
                {
                    "id": aged.item.pk,
                    "kind": aged.item.kind,
                    "number": aged.item.number,
                    "currency": aged.item.currency,
                    "amount": aged.item.amount,
                    "open_amount": aged.open_amount,
                    "open_base_amount": aged.open_base_amount,
                    "document_date": aged.item.document_date,
                    "due_date": aged.item.due_date,
                    "days_past_due": aged.days_past_due,
                    "bucket": aged.bucket,
                }
                for aged in aging.items
            ],
        }
        return Response(AgingSerializer(body, context={"base_currency": aging.base_currency}).data)
