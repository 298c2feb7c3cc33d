"""URL converter for database ids: ``<id:customer_id>``.

Django's ``int`` converter accepts any number of digits, and an id beyond
Postgres' bigint range reaches the database as an error (a 500). ``id``
matches 1 to 18 digits without a leading zero, so anything else is simply an
unknown URL (404), like any other id that does not exist.
"""

from __future__ import annotations


class IdConverter:
    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
