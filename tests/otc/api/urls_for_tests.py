"""A URLconf for API plumbing tests: the real site plus a few endpoints that
exist only to exercise the base classes (validation, domain errors, crashes,
a forgotten permission). Select it with ``@pytest.mark.urls(__name__ of this)``."""

from __future__ import annotations

from django.urls import include, path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from otc import errors
from otc.api.serializers import StrictInputSerializer
from otc.api.views import TenantAPIView
from otc.audit.services import audit_record
from otc.tenancy.roles import Perm


class LineSerializer(StrictInputSerializer):
    sku = serializers.CharField(max_length=20)
    quantity = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)


class EchoApi(TenantAPIView):
    """Validates a nested order-like body and echoes what it understood."""

    read_permission = Perm.CUSTOMERS_VIEW
    write_permission = Perm.CUSTOMERS_EDIT

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=50)
        amount = serializers.DecimalField(max_digits=18, decimal_places=2)
        due = serializers.DateField(required=False)
        currency = serializers.ChoiceField(choices=["EUR", "USD"], required=False)
        tags = serializers.ListField(child=serializers.CharField(max_length=10), required=False)
        lines = LineSerializer(many=True, required=False)

    def get(self, request: Request) -> Response:
        return Response({"tenant": self.tenant.slug})

    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audit_record(tenant=self.tenant, actor=self.actor, action="test.echo")
        return Response(
            self.InputSerializer(data.validated_data).data,
            status=201,
            headers={"Location": "/api/v1/test/echo/1/"},
        )

    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(self.InputSerializer(data.validated_data).data)


DOMAIN_ERRORS = {
    "not_found": errors.NotFound("No such invoice."),
    "validation": errors.ValidationFailed(
        "The amount exceeds the limit.", errors={"lines[0].amount": ["Too much."], "": ["No."]}
    ),
    "conflict": errors.ConflictError("Someone else changed it."),
    "transition": errors.IllegalTransition(current="paid", requested="draft"),
    "not_permitted": errors.NotPermitted("Above your approval limit."),
    "domain": errors.DomainError("Refused."),
}


class DomainErrorApi(TenantAPIView):
    """Writes an audit event, then fails with the domain error named in the URL."""

    read_permission = Perm.CUSTOMERS_VIEW
    write_permission = Perm.CUSTOMERS_EDIT

    def post(self, request: Request, kind: str) -> Response:
        audit_record(tenant=self.tenant, actor=self.actor, action=f"test.before_{kind}")
        raise DOMAIN_ERRORS[kind]


class CrashApi(TenantAPIView):
    read_permission = Perm.CUSTOMERS_VIEW
    write_permission = Perm.CUSTOMERS_EDIT

    def post(self, request: Request) -> Response:
        audit_record(tenant=self.tenant, actor=self.actor, action="test.before_crash")
        raise RuntimeError("boom")


class ForgotPermissionsApi(TenantAPIView):
    def get(self, request: Request) -> Response:
        return Response({"leaked": True})

    def post(self, request: Request) -> Response:
        return Response({"leaked": True})


urlpatterns = [
    path("api/v1/test/echo/", EchoApi.as_view()),
    path("api/v1/test/errors/<str:kind>/", DomainErrorApi.as_view()),
    path("api/v1/test/crash/", CrashApi.as_view()),
    path("api/v1/test/forgot/", ForgotPermissionsApi.as_view()),
    path("", include("otc.urls")),
]
