"""Cursor pagination for every list endpoint.

Cursors stay correct while rows are inserted (ERP delta sync walks pages while
OTC keeps writing) and cost the same on page 1 and page 10,000. Ordering is
by primary key unless a view says otherwise; `page_size` may be lowered or
raised up to 200 by the caller.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import DateField, DateTimeField, IntegerField, Model, QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination, Cursor
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

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self.model: type[Model] = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF trusts the position inside a cursor; a forged one ("p=abc" for
        # an id) would reach the database as a type error: a 500. A cursor
        # whose position does not fit the ordering field is "invalid", 404.
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            field_name = str(self.ordering[0]).lstrip("-")
            if not _position_fits(self.model, field_name, str(cursor.position)):
                raise NotFound(self.invalid_cursor_message)
        return cursor


_BIGINT = 2**63


def _position_fits(model: type[Model], field_name: str, position: str) -> bool:
    try:
        field: Any = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        field = None  # an annotation, e.g. a derived updated_at: a timestamp
    try:
        if field is None or isinstance(field, DateTimeField):
            return parse_datetime(position) is not None
        if isinstance(field, DateField):
            date.fromisoformat(position)
        elif isinstance(field, IntegerField):
            return -_BIGINT < int(position) < _BIGINT
        else:
            field.to_python(position)
    except (ValueError, ValidationError):
        return False
    return True


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
