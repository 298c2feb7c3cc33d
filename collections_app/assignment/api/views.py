"""REST endpoints of collector assignment: rules, manual overrides, and
applying the rules to every customer. Thin: validate, call a service,
serialize."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from collections_app.assignment import selectors
from collections_app.assignment.api.serializers import (
    AssignmentOutputSerializer,
    OverrideInputSerializer,
    OverrideOutputSerializer,
    RuleInputSerializer,
    RuleOutputSerializer,
)
from collections_app.assignment.services import (
    RuleInput,
    collector_override_clear,
    collector_override_set,
    collector_rule_create,
    collector_rule_delete,
    collectors_assign,
)
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.views import TenantAPIView
from otc.errors import NotFound
from otc.tenancy.roles import Perm

TAGS = ["Collections"]


class _AssignmentView(TenantAPIView):
    read_permission = Perm.COLLECTIONS_VIEW
    write_permission = Perm.COLLECTIONS_WORK


class RulePagination(CursorPagination):
    ordering = ("priority", "id")  # type: ignore[assignment]


class RuleListApi(_AssignmentView):
    @extend_schema(
        tags=TAGS, operation_id="collector_rules_list", responses=RuleOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=selectors.collector_rule_list(tenant=self.tenant),
            serializer_class=RuleOutputSerializer,
            request=request,
            view=self,
            pagination_class=RulePagination,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="collector_rules_create",
        request=RuleInputSerializer,
        responses={201: RuleOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = RuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = collector_rule_create(
            tenant=self.tenant, actor=self.actor, data=RuleInput(**data.validated_data)
        )
        return Response(RuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailApi(_AssignmentView):
    @extend_schema(tags=TAGS, operation_id="collector_rules_destroy", responses={204: None})
    def delete(self, request: Request, rule_id: int) -> Response:
        collector_rule_delete(tenant=self.tenant, actor=self.actor, rule_id=rule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssignApi(_AssignmentView):
    @extend_schema(
        tags=TAGS,
        operation_id="collector_assignment_run",
        request=None,
        responses=AssignmentOutputSerializer,
        description="Apply the rules to every customer without a manual collector.",
    )
    def post(self, request: Request) -> Response:
        changed = collectors_assign(tenant=self.tenant, actor=self.actor)
        return Response(AssignmentOutputSerializer({"changed": changed}).data)


class OverrideListApi(_AssignmentView):
    @extend_schema(
        tags=TAGS,
        operation_id="collector_overrides_create",
        request=OverrideInputSerializer,
        responses=OverrideOutputSerializer,
        description="Set a customer's collector by hand; the rules never overwrite it.",
    )
    def post(self, request: Request) -> Response:
        data = OverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer_id = data.validated_data["customer_id"]
        collector_override_set(
            tenant=self.tenant,
            actor=self.actor,
            customer_id=customer_id,
            collector_id=data.validated_data["collector_id"],
        )
        override = selectors.collector_override_of(tenant=self.tenant, customer_id=customer_id)
        if override is None:
            raise NotFound("No such customer.")
        return Response(OverrideOutputSerializer(override).data)


class OverrideDetailApi(_AssignmentView):
    @extend_schema(tags=TAGS, operation_id="collector_overrides_destroy", responses={204: None})
    def delete(self, request: Request, customer_id: int) -> Response:
        collector_override_clear(tenant=self.tenant, actor=self.actor, customer_id=customer_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
