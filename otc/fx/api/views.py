"""REST endpoints for exchange rates: what OTC converts with, and the
tenant's own rates."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from otc.api.errors import PROBLEM_CONTENT_TYPE
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.serializers import ProblemSerializer
from otc.api.views import TenantAPIView
from otc.fx import selectors, services
from otc.fx.api.serializers import (
    ManualRateInputSerializer,
    ManualRateOutputSerializer,
    RatesFilterSerializer,
    RatesResponseSerializer,
)
from otc.tenancy.roles import Perm

TAGS = ["Exchange rates"]
# GET endpoints that validate query parameters answer 400 on bad ones; the
# shared schema hook documents 400 for bodies only, so these say it themselves.
BAD_QUERY = {
    (400, PROBLEM_CONTENT_TYPE): ProblemSerializer,
}
_PAGE_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next` or `previous`."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 200; default 50."),
]


class ManualRatePagination(CursorPagination):
    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        return ("-rate_date", "-id")


class ManualRatePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(allow_null=True)
    results = ManualRateOutputSerializer(many=True)


class FxRatesApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="fx_rates_list",
        parameters=[RatesFilterSerializer],
        responses={200: RatesResponseSerializer, **BAD_QUERY},
        description="The exchange rates of a date: ECB reference rates (shared by every "
        "tenant) and this tenant's manual rates, each with its source and date, and the rate "
        "OTC converts with for every currency against the tenant's base currency (a manual "
        "rate overrides the ECB's; other pairs are crossed through EUR).",
    )
    def get(self, request: Request) -> Response:
        filters = RatesFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tenant = self.tenant
        on = filters.validated_data.get("date") or timezone.localdate(
            timezone=ZoneInfo(tenant.timezone)
        )
        currency: str = filters.validated_data.get("currency", "")
        base_rates = selectors.rates_to_base(tenant=tenant, on=on)
        if currency:
            base_rates = [
                rate for rate in base_rates if currency in (rate.currency, rate.base_currency)
            ]
        body: dict[str, Any] = {
            "date": on,
            "base_currency": str(tenant.base_currency),
            "rates": selectors.rates_on(tenant=tenant, on=on, currency=currency),
            "base_rates": base_rates,
        }
        return Response(RatesResponseSerializer(body).data)


class ManualRateListApi(TenantAPIView):
    read_permission = Perm.INVOICES_VIEW
    # Rates change what every later document is worth: owners and finance
    # admins set them, not the ERP role (which lacks this permission).
    write_permission = Perm.TENANT_SETTINGS

    @extend_schema(
        tags=TAGS,
        operation_id="fx_rates_manual_list",
        parameters=_PAGE_PARAMETERS,
        responses=ManualRatePageSerializer,
        description="This tenant's manual rates, newest rate date first.",
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=selectors.manual_rate_list(tenant=self.tenant),
            serializer_class=ManualRateOutputSerializer,
            request=request,
            view=self,
            pagination_class=ManualRatePagination,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="fx_rates_manual_set",
        request=ManualRateInputSerializer,
        responses={201: ManualRateOutputSerializer},
        description="Set this tenant's own rate for a pair from a date on (a bank or "
        "contract rate). It overrides the ECB rate for that pair, in both directions, for "
        "documents dated on that day and up to 7 days after (until a newer rate). Setting "
        "the same pair and date again replaces the rate.",
    )
    def post(self, request: Request) -> Response:
        data = ManualRateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        manual = services.manual_rate_set(
            tenant=self.tenant, actor=self.actor, **data.validated_data
        )
        return Response(ManualRateOutputSerializer(manual).data, status=status.HTTP_201_CREATED)
