"""PostgreSQL backend that hands the current tenant to row-level security.

Every transaction starts with ``set_config('app.tenant_id', <id>, true)`` —
the SET LOCAL form, which Postgres forgets at COMMIT or ROLLBACK, so a pooled
or persistent connection never carries one request's tenant into the next.
The RLS policies read that setting; with none set a tenant table reads as
empty and refuses writes.

Why a backend and not middleware: the setting has to follow *every*
transaction, including those opened by Celery tasks, management commands and
tests, and including statements Django runs in autocommit mode. Only the
connection sees all of them.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.backends.postgresql import base as postgresql
from psycopg.pq import TransactionStatus

from otc.tenancy.context import current_tenant_id

TENANT_SETTING = "app.tenant_id"
_SET_TENANT_SQL = f"SELECT set_config('{TENANT_SETTING}', %s, true)"


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The tenant value this connection's open transaction carries; None
        # when unknown (no transaction yet, or a savepoint rolled back).
        self.tenant_setting_in_transaction: str | None = None
        self.execute_wrappers.append(_apply_tenant_setting)

    def _savepoint_rollback(self, sid: str) -> None:
        # A rolled-back savepoint may have undone a set_config made inside it.
        self.tenant_setting_in_transaction = None
        super()._savepoint_rollback(sid)  # type: ignore[misc]  # missing from django-stubs


def _wanted_setting() -> str:
    tenant_id = current_tenant_id()
    return "" if tenant_id is None else str(tenant_id)


def _apply_tenant_setting(execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
    connection: DatabaseWrapper = context["connection"]
    wanted = _wanted_setting()

    if connection.get_autocommit():
        if not wanted:
            # A SET LOCAL never outlives its transaction, so in autocommit
            # mode "no tenant" is already what the session carries.
            return execute(sql, params, many, context)
        # Outside transaction.atomic() each statement is its own transaction,
        # so it gets a short one of its own that carries the setting.
        with transaction.atomic(using=connection.alias):
            _set_tenant(connection, wanted)
            connection.tenant_setting_in_transaction = wanted
            return execute(sql, params, many, context)

    status = connection.connection.info.transaction_status
    if status == TransactionStatus.IDLE:
        # This statement opens a new transaction: whatever we set before is gone.
        connection.tenant_setting_in_transaction = None
    if status != TransactionStatus.INERROR and connection.tenant_setting_in_transaction != wanted:
        _set_tenant(connection, wanted)
        connection.tenant_setting_in_transaction = wanted
    return execute(sql, params, many, context)


def _set_tenant(connection: DatabaseWrapper, wanted: str) -> None:
    # A plain psycopg cursor of its own: the statement's cursor may be a named
    # (server-side) one, as QuerySet.iterator() uses, and running set_config
    # through it would declare the portal for set_config instead of the query.
    # Going around Django's cursor also keeps this wrapper from re-entering.
    with connection.connection.cursor() as cursor:
        cursor.execute(_SET_TENANT_SQL, (wanted,))
