"""Row-level security: the database half of tenant isolation.

Migrations of tenant-owned models add ``EnableRowLevelSecurity("<model>")``
after the model is created. The policy admits a row only when its tenant_id
equals the ``app.tenant_id`` setting of the current transaction (set by
``otc.tenancy.db_backend``); with none set nothing is visible or writable.
FORCE makes the table owner obey it too.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.db import connection as default_connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import StateApps

from otc.settings.database import app_role_name, app_role_password

POLICY_NAME = "tenant_isolation"
TENANT_EXPRESSION = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"

# Tables the application role may read and append to but never change.
APPEND_ONLY_TABLES: set[str] = set()


def register_append_only(table: str) -> None:
    APPEND_ONLY_TABLES.add(table)


def _quote(schema_editor: BaseDatabaseSchemaEditor, name: str) -> str:
    return schema_editor.quote_name(name)


class EnableRowLevelSecurity(Operation):
    """Turn on and force RLS with the tenant policy for one model's table."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label: str, state: Any) -> None:
        """Row-level security is not part of Django's model state."""

    def _table(self, app_label: str, from_state: Any) -> str:
        apps: StateApps = from_state.apps
        return str(apps.get_model(app_label, self.model_name)._meta.db_table)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: Any,
        to_state: Any,
    ) -> None:
        table = _quote(schema_editor, self._table(app_label, to_state))
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY {POLICY_NAME} ON {table} "
            f"USING (tenant_id = {TENANT_EXPRESSION}) "
            f"WITH CHECK (tenant_id = {TENANT_EXPRESSION})"
        )

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: Any,
        to_state: Any,
    ) -> None:
        table = _quote(schema_editor, self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable row-level security on {self.model_name}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.model_name], {})

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"


class CreateApplicationRole(Operation):
    """Create the login role the running product uses, if it is missing.

    Roles belong to the whole server, so production DBAs usually create it
    beforehand; then this does nothing and needs no CREATEROLE privilege.
    """

    reversible = True

    def state_forwards(self, app_label: str, state: Any) -> None:
        """Roles are not model state."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: Any,
        to_state: Any,
    ) -> None:
        ensure_application_role(schema_editor.connection)

    def database_backwards(self, *args: Any) -> None:
        """Other databases on the server may still use the role: keep it."""

    def describe(self) -> str:
        return "Create the application database role"


def ensure_application_role(connection: Any) -> None:
    """Create the role (with its password) when it does not exist yet. An
    existing role is left as it is: changing it would need CREATEROLE, which
    a production owner role should not have."""
    role = app_role_name()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is not None:
            return
        password = app_role_password()
        create = (
            f"CREATE ROLE {connection.ops.quote_name(role)} LOGIN NOSUPERUSER "
            "NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT"
        )
        # Parallel first migrations (test workers) may race to create it.
        cursor.execute("SAVEPOINT otc_create_role")
        try:
            if password:
                cursor.execute(f"{create} PASSWORD %s", [password])
            else:
                cursor.execute(create)
        except DatabaseError:
            cursor.execute("ROLLBACK TO SAVEPOINT otc_create_role")
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise
        else:
            cursor.execute("RELEASE SAVEPOINT otc_create_role")


def grant_application_role(sender: Any = None, using: str = "default", **kwargs: Any) -> None:
    """Give the application role what it needs on every table, after migrate.

    DML on all tables and sequences; append-only tables lose UPDATE and
    DELETE. Idempotent, so running it after every migrate is harmless.
    """
    from django.db import connections

    connection = connections[using] if using else default_connection
    role = connection.ops.quote_name(app_role_name())
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role_name()])
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT current_user = %s", [app_role_name()])
        row = cursor.fetchone()
        if row and row[0]:
            return  # connected as the application role itself: nothing to grant
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}")
        for table in sorted(APPEND_ONLY_TABLES):
            cursor.execute(
                f"REVOKE UPDATE, DELETE, TRUNCATE ON {connection.ops.quote_name(table)} FROM {role}"
            )
