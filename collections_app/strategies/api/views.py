"""REST endpoints of worklist tasks: list, and done / snooze / reassign.
Thin: validate, call a service, serialize."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from collections_app.strategies import selectors
from collections_app.strategies.api.serializers import (
    TaskFilterSerializer,
    TaskOutputSerializer,
    TaskReassignInputSerializer,
    TaskSnoozeInputSerializer,
)
from collections_app.strategies.services.tasks import task_done, task_reassign, task_snooze
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.views import TenantAPIView
from otc.tenancy.roles import Perm

TAGS = ["Collections"]


class _TasksView(TenantAPIView):
    read_permission = Perm.COLLECTIONS_VIEW
    write_permission = Perm.COLLECTIONS_WORK


class TaskPagination(CursorPagination):
    ordering = ("due_on", "id")  # type: ignore[assignment]


class TaskListApi(_TasksView):
    @extend_schema(
        tags=TAGS,
        operation_id="worklist_tasks_list",
        parameters=[TaskFilterSerializer],
        responses=TaskOutputSerializer(many=True),
        description="Calls and escalations created by the collection strategies, oldest first.",
    )
    def get(self, request: Request) -> Response:
        filters = TaskFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        if data.get("due_by"):
            tasks = selectors.tasks_due(
                tenant=self.tenant, day=data["due_by"], kind=data.get("kind", "")
            )
            if data.get("customer_id") is not None:
                tasks = tasks.filter(customer_id=data["customer_id"])
            if data.get("assigned_to_id") is not None:
                tasks = tasks.filter(assigned_to_id=data["assigned_to_id"])
            if data.get("status"):
                tasks = tasks.filter(status=data["status"])
        else:
            tasks = selectors.task_list(
                tenant=self.tenant,
                status=data.get("status", ""),
                kind=data.get("kind", ""),
                customer_id=data.get("customer_id"),
                assigned_to_id=data.get("assigned_to_id"),
            )
        return paginated_response(
            queryset=tasks,
            serializer_class=TaskOutputSerializer,
            request=request,
            view=self,
            pagination_class=TaskPagination,
        )


class TaskDetailApi(_TasksView):
    @extend_schema(
        tags=TAGS, operation_id="worklist_tasks_retrieve", responses=TaskOutputSerializer
    )
    def get(self, request: Request, task_id: int) -> Response:
        task = selectors.task_get(tenant=self.tenant, task_id=task_id)
        return Response(TaskOutputSerializer(task).data)


class TaskDoneApi(_TasksView):
    @extend_schema(
        tags=TAGS, operation_id="worklist_tasks_done", request=None, responses=TaskOutputSerializer
    )
    def post(self, request: Request, task_id: int) -> Response:
        task_done(tenant=self.tenant, actor=self.actor, task_id=task_id)
        return Response(
            TaskOutputSerializer(selectors.task_get(tenant=self.tenant, task_id=task_id)).data
        )


class TaskSnoozeApi(_TasksView):
    @extend_schema(
        tags=TAGS,
        operation_id="worklist_tasks_snooze",
        request=TaskSnoozeInputSerializer,
        responses=TaskOutputSerializer,
    )
    def post(self, request: Request, task_id: int) -> Response:
        data = TaskSnoozeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task_snooze(
            tenant=self.tenant,
            actor=self.actor,
            task_id=task_id,
            until=data.validated_data["until"],
        )
        return Response(
            TaskOutputSerializer(selectors.task_get(tenant=self.tenant, task_id=task_id)).data
        )


class TaskReassignApi(_TasksView):
    @extend_schema(
        tags=TAGS,
        operation_id="worklist_tasks_reassign",
        request=TaskReassignInputSerializer,
        responses=TaskOutputSerializer,
    )
    def post(self, request: Request, task_id: int) -> Response:
        data = TaskReassignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task_reassign(
            tenant=self.tenant,
            actor=self.actor,
            task_id=task_id,
            user_id=data.validated_data["user_id"],
        )
        return Response(
            TaskOutputSerializer(selectors.task_get(tenant=self.tenant, task_id=task_id)).data
        )
