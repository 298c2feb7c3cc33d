"""Request ids: every request gets one (or keeps the caller's), every log line
and audit event carries it, and the response returns it in X-Request-ID."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_request_id: ContextVar[str] = ContextVar("otc_request_id", default="-")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


API_PATH_PREFIX = "/api/"
_JSON_TYPES = ("application/json", "application/problem+json")


class ProblemDetailsMiddleware:
    """Under /api/, turns Django's HTML error pages into problem+json.

    DRF views answer their own errors as problems (``otc.api.errors``); this
    catches what never reaches one: an unknown URL (404), a request Django
    itself rejects (400), and crashes (500), so an API client never has to
    parse HTML. Sits right inside RequestIdMiddleware so the problem carries
    the request id.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PATH_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith(_JSON_TYPES)
        ):
            from otc.api.errors import problem_json_response

            return problem_json_response(
                request,
                status_code=response.status_code,
                code=_CODES.get(response.status_code, "error"),
                detail=_DETAILS.get(response.status_code, "The request failed."),
            )
        return response


_CODES = {
    400: "bad_request",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    500: "server_error",
}
_DETAILS = {
    400: "The request could not be understood.",
    403: "You are not allowed to do this.",
    404: "No such resource. Check the URL against the API schema at /api/v1/schema/.",
    405: "This method is not allowed on this URL.",
    413: "The request body is too large.",
    500: "Something went wrong on our side. Quote the request id when you contact support.",
}
