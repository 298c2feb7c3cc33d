"""Writing the audit trail. Services call ``audit_record`` for every change
they make, inside the same transaction, so the trail and the change commit
or roll back together."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from otc.accounts.models import User
from otc.audit.models import AuditEvent
from otc.tenancy.models import Tenant


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, an API key, or the system itself."""

    user: User | None = None
    api_key_id: int | None = None
    label: str = "system"
    request_id: str = ""
    ip_address: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(label=label)

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        """The signed-in user, or the API key that authenticated the call."""
        request_id = getattr(request, "request_id", "")
        ip_address = request.META.get("REMOTE_ADDR") or None
        api_key = getattr(request, "api_key", None)
        if api_key is not None:
            return cls(
                api_key_id=api_key.pk,
                label=f"API key {api_key.name} ({api_key.prefix})",
                request_id=request_id,
                ip_address=ip_address,
            )
        user = request.user if request.user.is_authenticated else None
        return cls(
            user=user,
            label=user.email if user is not None else "anonymous",
            request_id=request_id,
            ip_address=ip_address,
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def field_changes(*, before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{'field': {'before': x, 'after': y}} for the fields whose value changed."""
    return {
        name: {"before": _jsonable(before.get(name)), "after": _jsonable(value)}
        for name, value in after.items()
        if _jsonable(before.get(name)) != _jsonable(value)
    }


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def audit_record(
    *,
    tenant: Tenant,
    actor: Actor,
    action: str,
    instance: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk)
    return AuditEvent.objects.for_tenant(tenant).create(
        tenant=tenant,
        actor_user=actor.user,
        actor_api_key_id=actor.api_key_id,
        actor_label=actor.label[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=str(instance)[:300] if instance is not None else "",
        changes=changes or {},
        request_id=actor.request_id,
        ip_address=actor.ip_address,
    )


@dataclass(frozen=True)
class AuditEntry:
    """One event of a batch written by ``audit_record_many``."""

    action: str
    instance: models.Model
    changes: dict[str, Any]


# A batch's events go as one JSON document (one parameter), the actor's
# columns once: building and adapting a model instance per event cost more
# than a thousand-invoice issue's own work (issue 3). The JSON is encoded as
# the JSONField would encode `changes`, so the rows are those bulk_create
# wrote.
_INSERT_MANY_SQL = """
INSERT INTO audit_auditevent (tenant_id, occurred_at, actor_user_id, actor_api_key_id,
    actor_label, action, object_type, object_id, object_repr, changes, request_id, ip_address)
SELECT %(tenant)s::bigint, %(now)s::timestamptz, %(user)s::bigint, %(api_key)s::bigint,
       %(label)s::text, e.action, e.object_type, e.object_id, e.object_repr, e.changes,
       %(request_id)s::text, %(ip)s::inet
FROM jsonb_to_recordset(%(events)s::jsonb)
    AS e(action text, object_type text, object_id text, object_repr text, changes jsonb)
"""


def audit_record_many(*, tenant: Tenant, actor: Actor, entries: list[AuditEntry]) -> None:
    """The events of a batch operation (issuing a thousand invoices) in one
    INSERT, each as ``audit_record`` would have written it (one time for the
    batch)."""
    if not entries:
        return
    events = [
        {
            "action": entry.action,
            "object_type": entry.instance._meta.label_lower,
            "object_id": str(entry.instance.pk),
            "object_repr": str(entry.instance)[:300],
            "changes": entry.changes,
        }
        for entry in entries
    ]
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            _INSERT_MANY_SQL,
            {
                "tenant": tenant.pk,
                "now": timezone.now(),
                "user": actor.user.pk if actor.user is not None else None,
                "api_key": actor.api_key_id,
                "label": actor.label[:200],
                "request_id": actor.request_id,
                "ip": actor.ip_address,
                "events": json.dumps(events),
            },
        )
