"""Reading the audit trail: filtered lists for the audit page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from otc.audit.models import AuditEvent
from otc.tenancy.models import Tenant


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: Any
    after: Any
    has_before: bool


def _start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def audit_event_list(*, tenant: Tenant, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Events of this tenant matching the filters. Dates are days in the
    tenant's time zone, both ends included."""
    events = AuditEvent.objects.for_tenant(tenant).select_related("actor_user")
    if filters.actor:
        events = events.filter(actor_label__icontains=filters.actor)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    zone = ZoneInfo(tenant.timezone)
    if filters.date_from:
        events = events.filter(occurred_at__gte=_start_of_day(filters.date_from, zone))
    if filters.date_to:
        next_day = filters.date_to + timedelta(days=1)
        events = events.filter(occurred_at__lt=_start_of_day(next_day, zone))
    return events


def audit_actions(*, tenant: Tenant) -> list[str]:
    return list(
        AuditEvent.objects.for_tenant(tenant)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )


def audit_object_types(*, tenant: Tenant) -> list[str]:
    return list(
        AuditEvent.objects.for_tenant(tenant)
        .exclude(object_type="")
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )


def audit_change_rows(*, event: AuditEvent) -> list[ChangeRow]:
    """The event's changes as rows; services write {'field': {'before': x,
    'after': y}}, anything else is shown as a plain value."""
    changes = event.changes if isinstance(event.changes, dict) else {"value": event.changes}
    rows = []
    for field, value in changes.items():
        if isinstance(value, dict) and set(value) <= {"before", "after"} and value:
            rows.append(
                ChangeRow(
                    field=str(field),
                    before=value.get("before"),
                    after=value.get("after"),
                    has_before="before" in value,
                )
            )
        else:
            rows.append(ChangeRow(field=str(field), before=None, after=value, has_before=False))
    return rows
