"""API key authentication: ``Authorization: Bearer <api key>``.

The key names its tenant only indirectly, and keys are hidden by row-level
security until a tenant is set, so resolution goes in three steps:
1. the public prefix is looked up across tenants through the SECURITY
   DEFINER function behind ``selectors.api_key_candidates``;
2. the digest of the presented key is compared in constant time;
3. the key is read again as its tenant (which must be active), under RLS,
   and that tenant is activated (``otc.tenancy.context.activate``), so
   everything after this point runs under RLS exactly like a browser request.

The Django request gets ``tenant`` and ``api_key`` (for ``Actor.from_request``
and the audit trail); DRF's ``request.auth`` is the ``ApiKey``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from otc.api.keys import digest_matches, parse_prefix
from otc.api.models import ApiKey
from otc.api.selectors import api_key_candidates, api_key_for_request
from otc.api.services import api_key_touch
from otc.tenancy.context import activate

AUTH_SCHEME = "Bearer"
INVALID_KEY = "The API key is invalid or has been revoked."


class ApiKeyPrincipal:
    """``request.user`` for an API call: not a person, but truthy about being
    authenticated so DRF and third-party code treat the call as signed in.
    Audit and services read ``request.auth`` (the ApiKey) instead."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key

    def __str__(self) -> str:
        return f"API key {self.api_key.name} ({self.api_key.prefix})"

    def has_perm(self, *args: Any, **kwargs: Any) -> bool:
        # Django model permissions are not how OTC authorises; role_can is.
        return False


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header:
            return None  # DRF answers 401 "credentials were not provided"
        if header[0].lower() != AUTH_SCHEME.lower().encode():
            raise exceptions.AuthenticationFailed(
                f"Use the {AUTH_SCHEME} scheme: 'Authorization: {AUTH_SCHEME} <api key>'."
            )
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                f"Send exactly one key: 'Authorization: {AUTH_SCHEME} <api key>'."
            )
        try:
            plaintext = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(INVALID_KEY) from exc

        api_key = self._resolve(plaintext)
        if api_key is None:
            raise exceptions.AuthenticationFailed(INVALID_KEY)

        api_key_touch(tenant=api_key.tenant, api_key=api_key)
        django_request: HttpRequest = request._request
        django_request.tenant = api_key.tenant  # type: ignore[attr-defined]
        django_request.api_key = api_key  # type: ignore[attr-defined]
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{AUTH_SCHEME} realm="api"'

    def _resolve(self, plaintext: str) -> ApiKey | None:
        prefix = parse_prefix(plaintext)
        if prefix is None:
            return None
        # Compare against every candidate (normally exactly one) so the time
        # taken does not depend on which one matched.
        matches = [
            candidate
            for candidate in api_key_candidates(prefix=prefix)
            if digest_matches(plaintext, candidate.secret_hash)
        ]
        if len(matches) != 1:
            return None
        match = matches[0]
        # Re-checked under RLS: the row read with the tenant's own rights.
        api_key = api_key_for_request(tenant_id=match.tenant_id, api_key_id=match.api_key_id)
        if api_key is None or api_key.revoked_at is not None:
            return None
        if not digest_matches(plaintext, api_key.secret_hash):
            return None
        activate(api_key.tenant)
        return api_key
