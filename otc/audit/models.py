from __future__ import annotations

from django.conf import settings
from django.db import models

from otc.tenancy.models import Tenant, TenantOwnedModel


class AuditEvent(TenantOwnedModel):
    """Who did what to which object, with the fields before and after.

    Append-only: the application role has no UPDATE or DELETE on this table
    and a trigger refuses both for everyone (migration audit/0002).
    """

    # Indexed as the first column of every index below, as reads go.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, db_index=False, editable=False)
    occurred_at = models.DateTimeField(auto_now_add=True)
    # Shown with the event (a join on the user's key); no read filters on it.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # The API key is referenced by id and label, not by foreign key, so the
    # audit table never depends on (or blocks deleting) the key table.
    actor_api_key_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # Every read is one tenant's events, newest first: all of them (the
        # audit page), one object's history (timelines), or one action. Every
        # service writes here, so each index costs on every write: no
        # single-column or pattern (LIKE) indexes that no query uses.
        indexes = [
            models.Index(fields=["tenant", "-occurred_at"], name="audit_tenant_time_idx"),
            models.Index(
                fields=["tenant", "object_type", "object_id", "-occurred_at"],
                name="audit_tenant_object_idx",
            ),
            models.Index(
                fields=["tenant", "action", "-occurred_at"], name="audit_tenant_action_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
