"""One way to show a list in HTML: sorted by a whitelisted column, paginated,
with the query string kept for the links (filters survive paging/sorting)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: str
    is_active: bool
    is_descending: bool
    query: str  # the query string that sorts by this column (toggling direction)


@dataclass(frozen=True)
class Listing:
    page: Page
    columns: dict[str, SortColumn]
    sort: str
    query_without_page: str  # for pagination links: "?<this>&page=N"


def list_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    sortable: dict[str, tuple[str, str]],
    default_sort: str,
    page_size: int = PAGE_SIZE,
) -> Listing:
    """`sortable` maps a URL key to (label, ORM field), e.g.
    {"name": ("Name", "legal_name")}. `?sort=-name` sorts descending.
    The primary key breaks ties so pages never overlap."""
    requested = request.GET.get("sort", default_sort)
    key = requested.lstrip("-")
    if key not in sortable:
        requested, key = default_sort, default_sort.lstrip("-")
    descending = requested.startswith("-")
    field = sortable[key][1]
    ordered = queryset.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk")

    paginator = Paginator(ordered, page_size)
    page = paginator.get_page(request.GET.get("page"))

    params = request.GET.copy()
    params.pop("page", None)
    columns = {}
    for column_key, (label, _) in sortable.items():
        is_active = column_key == key
        sort_params = params.copy()
        sort_params["sort"] = f"-{column_key}" if is_active and not descending else column_key
        columns[column_key] = SortColumn(
            key=column_key,
            label=label,
            is_active=is_active,
            is_descending=is_active and descending,
            query=sort_params.urlencode(),
        )
    return Listing(
        page=page, columns=columns, sort=requested, query_without_page=params.urlencode()
    )
