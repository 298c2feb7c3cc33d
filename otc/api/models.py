from __future__ import annotations

from django.conf import settings
from django.db import models

from otc.tenancy.models import TenantOwnedModel
from otc.tenancy.roles import ROLE_CHOICES, Role


class ApiKey(TenantOwnedModel):
    """A credential an ERP system uses to call the REST API for one tenant.

    The key the caller holds is ``<prefix>_<secret>``. Only the prefix (to find
    the row and to show in lists) and a SHA-256 digest of the whole key are
    stored; the plaintext is shown once when the key is issued.

    The prefix is unique per tenant, like every unique constraint here. It is
    random and issued by OTC, so two tenants sharing one is merely unlikely,
    not harmful: authentication compares the digest of every candidate row.
    """

    name = models.CharField(max_length=100)
    role = models.CharField(max_length=32, choices=ROLE_CHOICES, default=Role.ERP_INTEGRATION.value)
    # As a person's (Membership.approval_limit), in the tenant's base currency:
    # the highest credit limit the key may set or approve. 0: it may set none
    # above 0, and its approvals go to a person.
    approval_limit = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    prefix = models.CharField(max_length=32)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most once a minute (see services.api_key_touch).
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "prefix"], name="apikey_tenant_prefix_uniq"),
            models.CheckConstraint(
                condition=models.Q(approval_limit__gte=0), name="apikey_limit_not_negative"
            ),
        ]
        indexes = [
            # Authentication looks keys up by prefix before it knows the tenant.
            models.Index(fields=["prefix"], name="apikey_prefix_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class IdempotencyKey(TenantOwnedModel):
    """One ``Idempotency-Key`` a caller sent with a POST, and what it produced.

    The row is inserted (``INSERT ... ON CONFLICT DO NOTHING``) before the
    request runs, in state ``in_progress``; a second request with the same key
    finds it and waits its turn (409) or gets the stored response replayed.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key must carry the same request.
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    locked_at = models.DateTimeField()
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.BinaryField(default=b"", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "api_key", "key"], name="idempotencykey_tenant_key_uniq"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}] {self.state}"
