"""Writing different values to many rows of one tenant table in one statement.

Django's ``bulk_update`` builds a ``CASE WHEN id = ... THEN ...`` expression
per field over every row, which costs more Python time than the round trips
it saves once a batch has thousands of rows (cash application writes the
open amounts of every invoice a statement pays). ``rows_update`` sends the
values as one ``VALUES`` list joined on the primary key instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

from otc.tenancy.models import Tenant

BATCH = 2000


def rows_update(*, tenant: Tenant, objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write ``fields`` of ``objs`` (rows of one tenant-owned model, as they
    are in memory) with one UPDATE per ``BATCH`` rows; the tenant is part of
    the condition, as row-level security makes it anyway."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    columns: list[models.Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        if not isinstance(field, models.Field):
            raise TypeError(f"{model.__name__}.{name} is not a column.")
        columns.append(field)
    pk = meta.pk
    if pk is None:
        raise TypeError(f"{model.__name__} has no primary key.")

    qn = connection.ops.quote_name

    def cast(field: models.Field[Any, Any]) -> str:
        return f"v.{qn(str(field.column))}::{field.db_type(connection)}"

    targets = ", ".join(f"{qn(str(field.column))} = {cast(field)}" for field in columns)
    names = ", ".join(qn(str(field.column)) for field in [pk, *columns])
    for start in range(0, len(objs), BATCH):
        batch = objs[start : start + BATCH]
        placeholders = ", ".join(["(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"] * len(batch))
        params: list[Any] = []
        for obj in batch:
            params.append(obj.pk)
            params += [
                field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns
            ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(str(meta.db_table))} AS t SET {targets} "  # noqa: S608  (names from _meta)
                f"FROM (VALUES {placeholders}) AS v({names}) "
                f"WHERE t.{qn(str(pk.column))} = {cast(pk)} "
                "AND t.tenant_id = %s",
                [*params, tenant.pk],
            )
