"""Idempotency-Key for POST, with Stripe's semantics.

A caller sends ``Idempotency-Key: <unique value>`` with a POST and may resend
the same request with the same key as often as it likes (after a timeout, a
dropped connection, a crash): the operation runs once.

- The key is scoped to the tenant and the API key that sent it.
- The first response (status, body, Content-Type, Location) is stored and
  replayed for every retry, with ``Idempotent-Replayed: true``.
- The same key with a different request (method, path or body) is refused
  with 422: the key identifies one operation.
- A retry while the first request is still running is refused with 409.
- 5xx responses are not stored: the key is released, so a retry runs again.
- Keys live ``settings.IDEMPOTENCY_KEY_TTL`` (24 h); older ones are purged
  (``otc.api.tasks.purge_expired_idempotency_keys``) and, until then, treated
  as unused.

Claiming a key is one ``INSERT ... ON CONFLICT DO NOTHING`` that commits
before the request runs, so two web processes can never both own a key. The
request's own work then runs in one transaction together with the UPDATE that
stores its response (``otc.api.views.TenantAPIMixin``): a crash in between
rolls both back, and the key, still "in progress", is taken over once it is
older than STALE_CLAIM_AFTER.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone

from otc.api.errors import IdempotencyKeyInUse, IdempotencyKeyInvalid, IdempotencyKeyReused
from otc.api.models import ApiKey, IdempotencyKey
from otc.tenancy.models import Tenant

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Responses are replayed with these headers; the rest (Date, request id,
# rate-limit state) belongs to the retry, not to the first response.
STORED_HEADERS = ("Content-Type", "Location", "Content-Location")
# A claim still "in progress" after this long belongs to a process that died:
# its transaction rolled back, so running the request again is safe.
STALE_CLAIM_AFTER = timedelta(minutes=5)
_ATTEMPTS = 3

_CLAIM_SQL = """
INSERT INTO api_idempotencykey
    (tenant_id, api_key_id, key, request_hash, method, path, state,
     locked_at, created_at, response_headers, response_body)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '{}'::jsonb, ''::bytea)
ON CONFLICT ON CONSTRAINT idempotencykey_tenant_key_uniq DO NOTHING
RETURNING id
"""

_COMPLETE_SQL = """
UPDATE api_idempotencykey
SET state = %s, completed_at = %s, response_status = %s, response_headers = %s::jsonb,
    response_body = %s
WHERE id = %s AND tenant_id = %s
"""


@dataclass(frozen=True)
class Claim:
    """This request owns the key and must complete or release it."""

    tenant: Tenant
    record_id: int


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def to_response(self) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        response[REPLAYED_HEADER] = "true"
        return response


def validate_key(raw: str) -> str:
    """1 to 255 printable ASCII characters; surrounding spaces do not count
    (proxies may add or drop them)."""
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise IdempotencyKeyInvalid()
    return key


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(method.upper().encode())
    digest.update(b"\n")
    digest.update(path.encode("utf-8", "surrogateescape"))
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def idempotency_begin(
    *, tenant: Tenant, api_key: ApiKey, key: str, method: str, path: str, body: bytes
) -> Claim | StoredResponse:
    """Claim the key for this request, or return the response to replay.

    Raises IdempotencyKeyReused (422) for a different request under the same
    key and IdempotencyKeyInUse (409) while the first one still runs.
    """
    request_hash = request_fingerprint(method=method, path=path, body=body)
    for _ in range(_ATTEMPTS):
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                _CLAIM_SQL,
                [
                    tenant.pk,
                    api_key.pk,
                    key,
                    request_hash,
                    method.upper(),
                    path[:2000],
                    IdempotencyKey.State.IN_PROGRESS,
                    now,
                    now,
                ],
            )
            row = cursor.fetchone()
        if row is not None:
            return Claim(tenant=tenant, record_id=row[0])

        records = IdempotencyKey.objects.for_tenant(tenant)
        existing: IdempotencyKey | None = records.filter(api_key=api_key, key=key).first()
        if existing is None:
            continue  # released (5xx) or purged a moment ago: claim it afresh
        if existing.created_at < now - settings.IDEMPOTENCY_KEY_TTL:
            # Expired but not purged yet: it no longer counts. Delete it only
            # if nobody else has replaced it meanwhile, then claim afresh.
            records.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused()
        if existing.state == IdempotencyKey.State.COMPLETED:
            return StoredResponse(
                status=existing.response_status or 200,
                headers=dict(existing.response_headers),
                body=bytes(existing.response_body),
            )
        if existing.locked_at < now - STALE_CLAIM_AFTER:
            taken_over = records.filter(
                pk=existing.pk,
                state=IdempotencyKey.State.IN_PROGRESS,
                locked_at=existing.locked_at,
            ).update(locked_at=now)
            if taken_over:
                return Claim(tenant=tenant, record_id=existing.pk)
            continue  # someone else took it over or finished it: look again
        raise IdempotencyKeyInUse()
    raise IdempotencyKeyInUse()


def idempotency_complete(*, claim: Claim, response: HttpResponseBase, body: bytes) -> None:
    """Store the response for replay. Called inside the request's transaction
    for successful responses, so the work and its record commit together."""
    headers = {name: response[name] for name in STORED_HEADERS if response.has_header(name)}
    # Plain SQL, as the claim: every POST of the API ends here, and the
    # ORM's UPDATE cost more CPU than the statement itself.
    with connection.cursor() as cursor:
        cursor.execute(
            _COMPLETE_SQL,
            [
                IdempotencyKey.State.COMPLETED,
                timezone.now(),
                response.status_code,
                json.dumps(headers),
                body,
                claim.record_id,
                claim.tenant.pk,
            ],
        )


def idempotency_release(*, claim: Claim) -> None:
    """Forget the claim so a retry runs the request again (after a 5xx)."""
    with transaction.atomic():
        IdempotencyKey.objects.for_tenant(claim.tenant).filter(
            pk=claim.record_id, state=IdempotencyKey.State.IN_PROGRESS
        ).delete()


def idempotency_purge_expired(*, tenant: Tenant) -> int:
    """Delete the tenant's keys older than the TTL; returns how many."""
    cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyKey.objects.for_tenant(tenant).filter(created_at__lt=cutoff).delete()
    return deleted
