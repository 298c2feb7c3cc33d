"""Reads about API keys. Every read takes the tenant explicitly, except the
one lookup authentication needs before any tenant is known."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from otc.api.models import ApiKey
from otc.errors import NotFound
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant

STATUS_ACTIVE = "active"
STATUS_REVOKED = "revoked"
MAX_ID = 2**63 - 1  # Postgres bigint


@dataclass(frozen=True)
class KeyCandidate:
    tenant_id: int
    api_key_id: int
    secret_hash: str


def api_key_candidates(*, prefix: str) -> list[KeyCandidate]:
    """Active keys of active tenants with this public prefix, across tenants.

    Row-level security hides every key until a tenant is set, so this reads
    through the SECURITY DEFINER function ``otc_api_key_candidates``
    (migration api/0001), which returns only what authentication needs.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tenant_id, api_key_id, secret_hash FROM otc_api_key_candidates(%s)", [prefix]
        )
        rows = cursor.fetchall()
    return [KeyCandidate(tenant_id=row[0], api_key_id=row[1], secret_hash=row[2]) for row in rows]


def api_key_list(*, tenant: Tenant, status: str = "", search: str = "") -> QuerySet[ApiKey]:
    keys: QuerySet[ApiKey] = ApiKey.objects.for_tenant(tenant).select_related(
        "created_by", "revoked_by"
    )
    if status == STATUS_ACTIVE:
        keys = keys.filter(revoked_at__isnull=True)
    elif status == STATUS_REVOKED:
        keys = keys.filter(revoked_at__isnull=False)
    search = search.strip()
    if search:
        keys = keys.filter(Q(name__icontains=search) | Q(prefix__icontains=search))
    return keys


def api_key_for_request(*, tenant_id: int, api_key_id: int) -> ApiKey | None:
    """The key an API request authenticates with, read as its tenant, under
    row-level security, together with that tenant if it is active: one
    statement every request runs (no creator or revoker joined).

    The tenant's id is all the database session needs (``app.tenant_id``),
    so the read runs in the context of a stand-in holding only the id; the
    caller then activates the tenant row read here."""
    stand_in = Tenant(pk=tenant_id)
    with tenant_context(stand_in):
        api_key: ApiKey | None = (
            ApiKey.objects.for_tenant(stand_in)
            .select_related("tenant")
            .filter(pk=api_key_id, tenant__is_active=True)
            .first()
        )
    return api_key


def api_key_get(*, tenant: Tenant, api_key_id: int) -> ApiKey:
    """The key, or NotFound: for a missing id and another tenant's id alike."""
    if not 0 < api_key_id <= MAX_ID:
        raise NotFound("No such API key.")
    api_key: ApiKey | None = (
        ApiKey.objects.for_tenant(tenant)
        .select_related("tenant", "created_by", "revoked_by")
        .filter(pk=api_key_id)
        .first()
    )
    if api_key is None:
        raise NotFound("No such API key.")
    return api_key
