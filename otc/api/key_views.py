"""REST endpoints for API keys, so an owner's integration can rotate its own
keys: list, issue (the plaintext is in the 201 response only), read, revoke."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpResponseBase
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from otc.api.models import ApiKey
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.selectors import STATUS_ACTIVE, STATUS_REVOKED, api_key_get, api_key_list
from otc.api.serializers import StrictInputSerializer
from otc.api.services import api_key_create, api_key_revoke
from otc.api.views import TenantAPIView
from otc.tenancy.roles import ROLE_CHOICES, Perm, Role

TAGS = ["API keys"]

APPROVAL_LIMIT_HELP = (
    "The highest credit limit the key may set or approve, in the company's base currency, "
    "as a person's approval limit. 0: none above 0; its credit approvals go to a person."
)


class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="Public part of the key; shown in lists and logs.")
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    approval_limit = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        help_text=APPROVAL_LIMIT_HELP,
    )
    status = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    created_by = serializers.SerializerMethodField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_status(self, api_key: ApiKey) -> str:
        return STATUS_ACTIVE if api_key.is_active else STATUS_REVOKED

    def get_created_by(self, api_key: ApiKey) -> str | None:
        return api_key.created_by.email if api_key.created_by else None


class ApiKeyIssuedSerializer(ApiKeyOutputSerializer):
    key = serializers.CharField(
        allow_null=True,
        help_text=(
            "The full key, shown only in this response. Store it now: OTC keeps only a hash. "
            "An idempotent replay of this response carries null here."
        ),
    )


class ApiKeyListApi(TenantAPIView):
    read_permission = Perm.API_KEYS_MANAGE
    write_permission = Perm.API_KEYS_MANAGE
    pagination_class = CursorPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[STATUS_ACTIVE, STATUS_REVOKED], required=False, help_text="Only these keys."
        )
        search = serializers.CharField(
            required=False, max_length=100, help_text="Part of the name or prefix."
        )

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=100)
        role = serializers.ChoiceField(choices=ROLE_CHOICES, default=Role.ERP_INTEGRATION.value)
        approval_limit = serializers.DecimalField(
            max_digits=18,
            decimal_places=2,
            min_value=Decimal(0),
            default=Decimal(0),
            help_text=APPROVAL_LIMIT_HELP,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="api_keys_list",
        parameters=[FilterSerializer],
        responses=ApiKeyOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        keys = api_key_list(
            tenant=self.tenant,
            status=filters.validated_data.get("status", ""),
            search=filters.validated_data.get("search", ""),
        )
        return paginated_response(
            queryset=keys, serializer_class=ApiKeyOutputSerializer, request=request, view=self
        )

    @extend_schema(
        tags=TAGS,
        operation_id="api_keys_create",
        request=InputSerializer,
        responses={201: ApiKeyIssuedSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = api_key_create(
            tenant=self.tenant,
            actor=self.actor,
            name=data.validated_data["name"],
            role=data.validated_data["role"],
            approval_limit=data.validated_data["approval_limit"],
        )
        body = ApiKeyIssuedSerializer(issued.api_key).data
        body["key"] = issued.plaintext
        location = reverse("api:api-key-detail", kwargs={"api_key_id": issued.api_key.pk})
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    def stored_response_body(self, response: HttpResponseBase) -> bytes:
        # The replay must not need the plaintext at rest: store it without.
        if (
            isinstance(response, Response)
            and isinstance(response.data, dict)
            and "key" in response.data
        ):
            redacted: dict[str, Any] = {**response.data, "key": None}
            rendered = response.accepted_renderer.render(
                redacted, response.accepted_media_type, getattr(response, "renderer_context", None)
            )
            return rendered if isinstance(rendered, bytes) else rendered.encode()
        return super().stored_response_body(response)


class ApiKeyDetailApi(TenantAPIView):
    read_permission = Perm.API_KEYS_MANAGE
    write_permission = Perm.API_KEYS_MANAGE

    @extend_schema(tags=TAGS, operation_id="api_keys_retrieve", responses=ApiKeyOutputSerializer)
    def get(self, request: Request, api_key_id: int) -> Response:
        api_key = api_key_get(tenant=self.tenant, api_key_id=api_key_id)
        return Response(ApiKeyOutputSerializer(api_key).data)


class ApiKeyRevokeApi(TenantAPIView):
    read_permission = Perm.API_KEYS_MANAGE
    write_permission = Perm.API_KEYS_MANAGE

    @extend_schema(
        tags=TAGS,
        operation_id="api_keys_revoke",
        request=None,
        responses=ApiKeyOutputSerializer,
        description="Revoke the key: requests made with it are refused from now on. "
        "Revoking a revoked key changes nothing.",
    )
    def post(self, request: Request, api_key_id: int) -> Response:
        api_key = api_key_get(tenant=self.tenant, api_key_id=api_key_id)
        revoked = api_key_revoke(tenant=self.tenant, actor=self.actor, api_key=api_key)
        return Response(ApiKeyOutputSerializer(revoked).data)
