"""Cursor pagination for every list endpoint.

Cursors stay correct while rows are inserted (ERP delta sync walks pages while
OTC keeps writing) and cost the same on page 1 and page 10,000. Ordering is
by primary key unless a view says otherwise; `page_size` may be lowered or
raised up to 200 by the caller.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.pagination import CursorPagination as DRFCursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView


class CursorPagination(DRFCursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def paginated_response(
    *,
    queryset: QuerySet[Any],
    serializer_class: type[BaseSerializer[Any]],
    request: Request,
    view: APIView,
    pagination_class: type[BasePagination] = CursorPagination,
) -> Response:
    """One page of `queryset`, serialized, with next/previous links: what a
    thin list view returns (HackSoft's get_paginated_response)."""
    paginator = pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    serializer = serializer_class(page, many=True)
    return paginator.get_paginated_response(serializer.data)
