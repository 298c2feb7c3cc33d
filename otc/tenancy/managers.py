"""The fail-closed manager every tenant-owned model uses.

``Model.objects`` filters by the tenant in context and raises
``TenantContextMissingError`` when there is none, so forgetting the tenant is a
crash in development, never a leak in production. The database applies the
same rule again through row-level security.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import connection, models

from otc.tenancy.context import require_tenant

if TYPE_CHECKING:
    from otc.tenancy.models import Tenant

_M = TypeVar("_M", bound=models.Model)


class TenantQuerySet(models.QuerySet[_M], Generic[_M]):
    def for_tenant(self, tenant: Tenant) -> TenantQuerySet[_M]:
        return self.filter(tenant=tenant)


class TenantManager(models.Manager[_M], Generic[_M]):
    """Scoped to the tenant in context; fails closed without one."""

    _queryset_class = TenantQuerySet

    def get_queryset(self) -> TenantQuerySet[_M]:
        tenant = require_tenant()
        return TenantQuerySet(self.model, using=self._db).filter(tenant=tenant)

    def for_tenant(self, tenant: Tenant) -> TenantQuerySet[_M]:
        """Scoped to an explicit tenant, whatever the context says."""
        return TenantQuerySet(self.model, using=self._db).filter(tenant=tenant)

    def unscoped(self) -> TenantQuerySet[_M]:
        """No ORM tenant filter. Row-level security still applies in the
        database, so this only helps jobs that set the tenant themselves.
        Keep every call greppable: `grep -rn "unscoped()"`."""
        return TenantQuerySet(self.model, using=self._db)

    def create(self, **kwargs: Any) -> _M:
        kwargs.setdefault("tenant", require_tenant())
        return super().create(**kwargs)


ROWS_UPDATE_BATCH = 2000


def rows_update(*, tenant: Tenant, objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Django's ``bulk_update`` builds a ``CASE WHEN id = ... THEN ...``
    expression per field over every row, which costs more Python time than
    the round trips it saves once a batch has thousands of rows (cash
    application writes the open amounts of every invoice a statement pays);
    this sends the values as one ``VALUES`` list joined on the primary key.

    Write ``fields`` of ``objs`` (rows of one tenant-owned model, as they
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
    for start in range(0, len(objs), ROWS_UPDATE_BATCH):
        batch = objs[start : start + ROWS_UPDATE_BATCH]
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
