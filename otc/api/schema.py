"""How the OpenAPI schema describes what every endpoint shares: bearer API
keys, the Idempotency-Key header on POST and problem+json errors.

Endpoints only describe their own serializers; the error responses and the
header are added here, so the schema stays accurate without every view
repeating them (and a fuzzer reading the schema knows every status it may
see).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from otc.api.errors import PROBLEM_CONTENT_TYPE
from otc.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from otc.api.idempotency import MAX_KEY_LENGTH, REPLAYED_HEADER
from otc.api.serializers import ProblemSerializer

_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_BODY_METHODS = {"POST", "PUT", "PATCH"}

_DESCRIPTIONS = {
    "400": "Invalid input: malformed JSON, unknown or invalid fields (see `errors`), "
    "or a missing/invalid Idempotency-Key.",
    "401": "No API key, or an invalid or revoked one.",
    "403": "The API key's role does not allow this.",
    "404": "No such resource (also for another tenant's ids).",
    "409": "Conflicts with the current state, or a request with this Idempotency-Key "
    "is still running.",
    "413": "The request body is too large.",
    "415": "The request body is not `application/json`.",
    "422": "A business rule refused the input, or the Idempotency-Key was used for a "
    "different request.",
    "429": "Rate limit reached; retry after `Retry-After` seconds.",
}
_HEADERS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": "The scheme to use: `Bearer`.",
        }
    },
    "429": {
        "Retry-After": {
            "schema": {"type": "integer"},
            "description": "Seconds until the rate limit window resets.",
        }
    },
}


class AutoSchema(SpectacularAutoSchema):
    def _authenticated(self) -> bool:
        return bool(self.view.get_authenticators())

    def _idempotent_post(self) -> bool:
        return self.method == "POST" and bool(getattr(self.view, "idempotent_post", False))

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._idempotent_post():
            parameters.append(
                OpenApiParameter(
                    name=IDEMPOTENCY_HEADER,
                    type=OpenApiTypes.STR,
                    location=OpenApiParameter.HEADER,
                    required=True,
                    description=(
                        "A unique value per operation (a UUID is ideal), at most "
                        f"{MAX_KEY_LENGTH} printable ASCII characters. Retrying with the same "
                        "key and the same request replays the first response (with "
                        f"`{REPLAYED_HEADER}: true`) instead of running it again; keys are "
                        "kept 24 hours."
                    ),
                )
            )
        return parameters

    def _error_codes(self) -> list[str]:
        codes = ["404"]
        if self._authenticated():
            codes += ["401", "403", "429"]
        if self.method in _BODY_METHODS:
            codes += ["400", "413", "415"]
        if self.method in _WRITE_METHODS:
            codes += ["409", "422"]
        if self._idempotent_post() and "400" not in codes:
            codes.append("400")
        return sorted(set(codes))

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        problem = self.resolve_serializer(ProblemSerializer, "response").ref
        for code in self._error_codes():
            if code in responses:
                continue
            responses[code] = {
                "description": _DESCRIPTIONS[code],
                "content": {PROBLEM_CONTENT_TYPE: {"schema": problem}},
            }
            if code in _HEADERS:
                responses[code]["headers"] = _HEADERS[code]
        return responses


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "otc.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "otc_live_<prefix>_<secret>",
            "description": (
                "An API key issued under Settings → API keys (or with "
                "`manage.py create_api_key`), sent as `Authorization: Bearer <key>`. "
                "Each key belongs to one tenant and one role."
            ),
        }
