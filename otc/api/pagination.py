"""Cursor pagination for every list endpoint.

Cursors stay correct while rows are inserted (ERP delta sync walks pages while
OTC keeps writing) and cost the same on page 1 and page 10,000. Ordering is
by primary key unless a view says otherwise; `page_size` may be lowered or
raised up to 200 by the caller.
"""

from rest_framework.pagination import CursorPagination as DRFCursorPagination


class CursorPagination(DRFCursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
