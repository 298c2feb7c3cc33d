"""Base classes for every REST endpoint of OTC.

Subclass one of them, declare who may call it, keep the handler thin::

    class CustomerListApi(TenantAPIView):
        read_permission = Perm.CUSTOMERS_VIEW
        write_permission = Perm.CUSTOMERS_EDIT

        class InputSerializer(StrictInputSerializer): ...
        class OutputSerializer(serializers.Serializer): ...

        def post(self, request: Request) -> Response:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            customer = customer_create(tenant=self.tenant, actor=self.actor,
                                       **data.validated_data)
            return Response(self.OutputSerializer(customer).data, status=201)

What the base gives every endpoint:
- API key authentication, the role check (``read_permission`` /
  ``write_permission``, fail closed), the per-key rate limit and
  problem+json errors (all from REST_FRAMEWORK settings);
- ``self.tenant`` and ``self.actor`` for the service call;
- Idempotency-Key on POST (``otc.api.idempotency``): required, claimed before
  the handler runs, the handler's work and the stored response committed in
  one transaction, replayed on retry. A view may set
  ``idempotent_post = False`` only for a POST that changes nothing (a
  search or a preview).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ViewSet

from otc.api.errors import IdempotencyKeyMissing
from otc.api.idempotency import (
    HEADER as IDEMPOTENCY_HEADER,
)
from otc.api.idempotency import (
    Claim,
    StoredResponse,
    idempotency_begin,
    idempotency_complete,
    idempotency_release,
    validate_key,
)
from otc.api.models import ApiKey
from otc.audit.services import Actor
from otc.tenancy.context import current_tenant, tenant_context
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm

Handler = Callable[..., HttpResponseBase]


class TenantAPIMixin(APIView):
    """The behaviour of every OTC endpoint; use it through the classes below."""

    #: Required for GET/HEAD/OPTIONS; without it those methods answer 403.
    read_permission: Perm | None = None
    #: Required for POST/PUT/PATCH/DELETE; without it those methods answer 403.
    write_permission: Perm | None = None
    #: POST needs an Idempotency-Key and is made idempotent.
    idempotent_post: bool = True

    # --- what handlers use ----------------------------------------------------

    @property
    def api_key(self) -> ApiKey:
        api_key = self.request.auth
        assert isinstance(api_key, ApiKey), "authentication runs before any handler"  # noqa: S101
        return api_key

    @property
    def tenant(self) -> Tenant:
        tenant: Tenant = self.api_key.tenant
        return tenant

    @property
    def actor(self) -> Actor:
        return Actor.from_request(self.request._request)

    def stored_response_body(self, response: HttpResponseBase) -> bytes:
        """What an idempotent replay will return as body. Override to leave
        out what must never rest in the database (a freshly issued secret)."""
        return bytes(getattr(response, "content", b""))

    # --- the request cycle --------------------------------------------------------

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Authentication activates the key's tenant; scoping that to this
        # call keeps it from outliving the request even where no middleware
        # resets the context (views called directly, e.g. in tests).
        with tenant_context(current_tenant()):
            return self._dispatch(request, *args, **kwargs)

    def _dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # DRF's APIView.dispatch, with one addition: an idempotent POST runs
        # through _dispatch_idempotent, which finalizes its own response
        # because it must store the rendered bytes.
        self.args = args
        self.kwargs = kwargs
        drf_request = self.initialize_request(request, *args, **kwargs)
        self.request = drf_request
        self.headers = self.default_response_headers
        response: HttpResponseBase
        try:
            self.initial(drf_request, *args, **kwargs)
            handler = self._handler_for(drf_request)
            if self._is_idempotent_call(drf_request, handler):
                finished = self._dispatch_idempotent(drf_request, handler, *args, **kwargs)
                self.response = finished  # type: ignore[assignment]
                return finished
            response = handler(drf_request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001  (as DRF: every error becomes a response)
            response = self.handle_exception(exc)
        self.response = self.finalize_response(drf_request, response, *args, **kwargs)  # type: ignore[arg-type]
        return self.response

    def _handler_for(self, request: Request) -> Handler:
        method = (request.method or "").lower()
        if method in self.http_method_names:
            handler: Handler = getattr(self, method, self.http_method_not_allowed)
            return handler
        return self.http_method_not_allowed

    def _is_idempotent_call(self, request: Request, handler: Handler) -> bool:
        return (
            request.method == "POST"
            and self.idempotent_post
            and handler != self.http_method_not_allowed
        )

    def _dispatch_idempotent(
        self, request: Request, handler: Handler, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        raw_key = request._request.headers.get(IDEMPOTENCY_HEADER)
        if raw_key is None:
            raise IdempotencyKeyMissing()
        key = validate_key(raw_key)
        # Reading the body here enforces DATA_UPLOAD_MAX_MEMORY_SIZE (413)
        # and lets the parser reuse the bytes.
        body = request._request.body
        outcome = idempotency_begin(
            tenant=self.tenant,
            api_key=self.api_key,
            key=key,
            method=request._request.method or "POST",
            path=request._request.get_full_path(),
            body=body,
        )
        if isinstance(outcome, StoredResponse):
            return self._finalized(request, outcome.to_response(), *args, **kwargs)
        try:
            return self._run_claimed(outcome, request, handler, *args, **kwargs)
        except BaseException:
            idempotency_release(claim=outcome)
            raise

    def _run_claimed(
        self, claim: Claim, request: Request, handler: Handler, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        stored = False
        try:
            with transaction.atomic():
                response = self._finalized(
                    request, handler(request, *args, **kwargs), *args, **kwargs
                )
                if response.status_code < 400:
                    self._store(claim, response)
                    stored = True
                else:
                    # The handler answered an error itself: keep none of its writes.
                    transaction.set_rollback(True)
        except Exception as exc:  # noqa: BLE001  (as DRF: every error becomes a response)
            # The work rolled back with the atomic block; unexpected errors
            # propagate from handle_exception (and release the key above).
            response = self._finalized(request, self.handle_exception(exc), *args, **kwargs)
        if not stored:
            if response.status_code >= 500:
                idempotency_release(claim=claim)
            else:
                self._store(claim, response)
        return response

    def _store(self, claim: Claim, response: HttpResponseBase) -> None:
        idempotency_complete(
            claim=claim, response=response, body=self.stored_response_body(response)
        )

    def _finalized(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        # DRF accepts any HttpResponseBase here; its stubs say Response.
        response = self.finalize_response(request, response, *args, **kwargs)  # type: ignore[arg-type]
        if isinstance(response, Response) and not response.is_rendered:
            response.render()
        return response


class TenantAPIView(TenantAPIMixin):
    """For endpoints written as get()/post() handlers (the usual case)."""


class TenantGenericAPIView(TenantAPIMixin, GenericAPIView):
    """When you want GenericAPIView's helpers (pagination_class, filtering)."""


class TenantViewSet(TenantAPIMixin, ViewSet):
    """For a router-registered set of actions."""


class TenantGenericViewSet(TenantAPIMixin, GenericViewSet):
    """A router-registered set of actions with GenericAPIView's helpers."""
