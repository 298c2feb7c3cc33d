"""Every API error is an RFC 9457 problem: ``application/problem+json``.

Shape::

    {"type": "urn:otc:problem:validation_error", "title": "Invalid input",
     "status": 400, "detail": "...", "instance": "/api/v1/...",
     "request_id": "...",
     "errors": [{"field": "lines[0].amount", "message": "...", "code": "invalid"}]}

``type`` is stable and machine-readable (clients branch on it); ``title``
is the same for every problem of that type; ``detail`` explains this one.
``errors`` appears on validation problems; ``field`` is null for errors about
the request as a whole.

Three layers produce problems:
- ``problem_exception_handler`` (DRF's EXCEPTION_HANDLER) for everything a DRF
  view raises: DRF's own exceptions, Django's Http404/PermissionDenied/
  ValidationError, ``Model.DoesNotExist`` and the domain errors of
  ``otc.errors``;
- ``otc.api.middleware.ProblemDetailsMiddleware`` for what never reaches a
  view (unknown URL, a crash) under /api/;
- the exception classes below, raised by the API plumbing itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from otc import errors as domain
from otc.api.middleware import current_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:otc:problem:"

logger = logging.getLogger(__name__)


# --- errors raised by the API plumbing -----------------------------------------


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class IdempotencyKeyMissing(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = (
        "Send an Idempotency-Key header with every POST: a unique value per operation "
        "(a UUID is ideal), reused unchanged when you retry that operation."
    )
    default_code = "idempotency_key_missing"


class IdempotencyKeyInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The Idempotency-Key header must be 1 to 255 printable ASCII characters."
    default_code = "idempotency_key_invalid"


class IdempotencyKeyInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        "A request with this Idempotency-Key is still being processed. "
        "Retry after it has finished to receive its response."
    )
    default_code = "idempotency_key_in_use"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used for a different request "
        "(another method, path or body). Use a new key for a new operation."
    )
    default_code = "idempotency_key_reused"


# --- titles --------------------------------------------------------------------

TITLES: dict[str, str] = {
    "validation_error": "Invalid input",
    "parse_error": "Malformed request body",
    "authentication_failed": "Authentication failed",
    "not_authenticated": "Authentication required",
    "permission_denied": "Permission denied",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "not_acceptable": "Not acceptable",
    "unsupported_media_type": "Unsupported media type",
    "throttled": "Too many requests",
    "payload_too_large": "Request body too large",
    "idempotency_key_missing": "Idempotency-Key required",
    "idempotency_key_invalid": "Invalid Idempotency-Key",
    "idempotency_key_in_use": "Request in progress",
    "idempotency_key_reused": "Idempotency-Key reused",
    "domain_error": "Operation refused",
    "validation_failed": "Business rule violated",
    "conflict": "Conflict",
    "illegal_transition": "State change not allowed",
    "not_permitted": "Not permitted",
    "server_error": "Internal server error",
}

# Domain errors (otc.errors) and their HTTP status, most specific first.
DOMAIN_STATUS: list[tuple[type[domain.DomainError], int]] = [
    (domain.NotFound, 404),
    (domain.ValidationFailed, 422),
    (domain.ConflictError, 409),  # includes IllegalTransition
    (domain.NotPermitted, 403),
    (domain.DomainError, 422),
]


def _title(code: str, status_code: int) -> str:
    if code in TITLES:
        return TITLES[code]
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def problem_body(
    *,
    status_code: int,
    code: str,
    detail: str,
    instance: str = "",
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": _title(code, status_code),
        "status": status_code,
        "detail": detail,
        "instance": instance,
        "request_id": current_request_id(),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_json_response(
    request: HttpRequest, *, status_code: int, code: str, detail: str
) -> JsonResponse:
    """A problem for plain Django responses (middleware, outside DRF)."""
    return JsonResponse(
        problem_body(
            status_code=status_code, code=code, detail=detail, instance=request.get_full_path()
        ),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


# --- field errors ------------------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def flatten_errors(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """DRF's nested error detail as a flat list of {field, message, code}."""
    if isinstance(detail, Mapping):
        flat: list[dict[str, Any]] = []
        for key, value in detail.items():
            if key in (api_settings.NON_FIELD_ERRORS_KEY, ""):
                flat.extend(flatten_errors(value, path))
            else:
                # ListSerializer reports items as {index: errors}: keep ints as [i].
                flat.extend(
                    flatten_errors(value, _join(path, key if isinstance(key, int) else str(key)))
                )
        return flat
    if isinstance(detail, list):
        # A list is either several messages for one field or one entry per
        # item of a list field (ListSerializer / ListField).
        if all(isinstance(item, (str, exceptions.ErrorDetail)) for item in detail):
            return [_error(path, item) for item in detail]
        flat = []
        for index, item in enumerate(detail):
            if item:  # valid items of a list come back as {}
                flat.extend(flatten_errors(item, _join(path, index)))
        return flat
    return [_error(path, detail)]


def _error(path: str, message: Any) -> dict[str, Any]:
    return {
        "field": path or None,
        "message": str(message),
        "code": getattr(message, "code", None) or "invalid",
    }


def _django_validation_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": None if field == "__all__" else field, "message": message, "code": "invalid"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": None, "message": message, "code": "invalid"} for message in exc.messages]


# --- the handler ---------------------------------------------------------------


def _problem_response(
    *,
    status_code: int,
    code: str,
    detail: str,
    instance: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        problem_body(
            status_code=status_code, code=code, detail=detail, instance=instance, errors=errors
        ),
        status=status_code,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER. Returns None for unexpected exceptions, which
    Django then logs and answers with a 500 (as a problem, via the middleware)."""
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""

    if isinstance(exc, domain.DomainError):
        set_rollback()
        status_code = next(code for cls, code in DOMAIN_STATUS if isinstance(exc, cls))
        errors = None
        if isinstance(exc, domain.ValidationFailed):
            errors = [
                {"field": field or None, "message": message, "code": exc.code}
                for field, messages in exc.errors.items()
                for message in messages
            ]
        return _problem_response(
            status_code=status_code,
            code=exc.code,
            detail=exc.detail,
            instance=instance,
            errors=errors,
        )

    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return _problem_response(
            status_code=422,
            code="validation_failed",
            detail="The input breaks a business rule.",
            instance=instance,
            errors=_django_validation_errors(exc),
        )

    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, (Http404, ObjectDoesNotExist)):
        # One body for "missing" and "another tenant's": never say which.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)

    if not isinstance(exc, exceptions.APIException):
        return None

    set_rollback()
    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(max(1, int(wait + 0.999)))

    code = _exception_code(exc)
    if isinstance(exc, exceptions.ValidationError):
        return _problem_response(
            status_code=exc.status_code,
            code="validation_error",
            detail="The request contains invalid fields; see errors.",
            instance=instance,
            errors=flatten_errors(exc.detail),
            headers=headers,
        )
    return _problem_response(
        status_code=exc.status_code,
        code=code,
        detail=_detail_text(exc.detail),
        instance=instance,
        headers=headers,
    )


def _exception_code(exc: exceptions.APIException) -> str:
    detail_code = getattr(exc.detail, "code", None)
    # A view may raise e.g. PermissionDenied("...") whose detail carries the
    # class's default code; prefer the class's documented code.
    return str(getattr(exc, "default_code", None) or detail_code or "error")


def _detail_text(detail: Any) -> str:
    if isinstance(detail, (list, dict)):
        flat = flatten_errors(detail)
        return "; ".join(item["message"] for item in flat) or "Error."
    return str(detail)
