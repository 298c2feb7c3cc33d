"""REST endpoints of the periodic credit reviews."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from credit import selectors, services
from credit.api.serializers import (
    ReviewCompleteInputSerializer,
    ReviewFilterSerializer,
    ReviewOutputSerializer,
    ReviewPageSerializer,
)
from credit.api.views import ProfileCursorPagination
from otc.api.pagination import paginated_response
from otc.api.views import TenantAPIView
from otc.tenancy.roles import Perm

TAGS = ["Credit reviews"]


class ReviewListApi(TenantAPIView):
    read_permission = Perm.CREDIT_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="credit_reviews_list",
        parameters=[ReviewFilterSerializer],
        responses=ReviewPageSerializer,
        description="Periodic reviews; the beat opens them ahead of each profile's "
        "review date (frequency by risk class).",
    )
    def get(self, request: Request) -> Response:
        filters = ReviewFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = {
            k: v for k, v in filters.validated_data.items() if k not in {"cursor", "page_size"}
        }
        return paginated_response(
            queryset=selectors.review_list(tenant=self.tenant, **params),
            serializer_class=ReviewOutputSerializer,
            request=request,
            view=self,
            pagination_class=ProfileCursorPagination,
        )


class ReviewDetailApi(TenantAPIView):
    read_permission = Perm.CREDIT_VIEW

    @extend_schema(
        tags=TAGS, operation_id="credit_reviews_retrieve", responses=ReviewOutputSerializer
    )
    def get(self, request: Request, review_id: int) -> Response:
        review = selectors.review_get(tenant=self.tenant, review_id=review_id)
        return Response(ReviewOutputSerializer(review).data)


class ReviewCompleteApi(TenantAPIView):
    read_permission = Perm.CREDIT_VIEW
    write_permission = Perm.CREDIT_APPROVE

    @extend_schema(
        tags=TAGS,
        operation_id="credit_reviews_complete",
        request=ReviewCompleteInputSerializer,
        responses=ReviewOutputSerializer,
        description="Record the decision; a raise needs an approval limit that "
        "covers it (403 otherwise). Sets the next review date by risk class.",
    )
    def post(self, request: Request, review_id: int) -> Response:
        review = selectors.review_get(tenant=self.tenant, review_id=review_id)
        data = ReviewCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.credit_review_complete(
            tenant=self.tenant, actor=self.actor, review=review, **data.validated_data
        )
        return Response(ReviewOutputSerializer(review).data)
