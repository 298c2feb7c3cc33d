"""REST endpoints of collections: dunning policies, dunning runs (+ preview
and letters), activities, promises to pay and the worklist. Thin: validate,
call a service, serialize."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from collections_app.dunning import selectors
from collections_app.dunning.api.serializers import (
    ActivityFilterSerializer,
    ActivityInputSerializer,
    ActivityOutputSerializer,
    LetterOutputSerializer,
    PolicyInputSerializer,
    PolicyOutputSerializer,
    PreviewQuerySerializer,
    PromiseFilterSerializer,
    PromiseInputSerializer,
    PromiseOutputSerializer,
    RunInputSerializer,
    RunOutputSerializer,
    WorklistFilterSerializer,
    WorklistOutputSerializer,
)
from collections_app.dunning.models import DunningLetter, DunningNotice, RunTrigger
from collections_app.dunning.services.policies import dunning_policy_create, dunning_policy_update
from collections_app.dunning.services.priorities import collection_priorities_compute
from collections_app.dunning.services.promises import (
    PromiseInput,
    activity_log,
    promise_cancel,
    promise_record,
)
from collections_app.dunning.services.runs import (
    dunning_run_pending_letter_ids,
    dunning_run_start,
)
from collections_app.dunning.services.selection import dunning_due_pairs
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.views import TenantAPIView
from otc.tenancy.dates import tenant_today
from otc.tenancy.roles import Perm

TAGS = ["Collections"]


class _CollectionsView(TenantAPIView):
    read_permission = Perm.COLLECTIONS_VIEW
    write_permission = Perm.COLLECTIONS_WORK


class RunPagination(CursorPagination):
    ordering = ("-run_date", "-id")  # type: ignore[assignment]


class WorklistPagination(CursorPagination):
    ordering = ("-score", "id")  # type: ignore[assignment]


class PolicyListApi(_CollectionsView):
    @extend_schema(
        tags=TAGS, operation_id="dunning_policies_list", responses=PolicyOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=selectors.dunning_policy_list(tenant=self.tenant).prefetch_related(
                "levels__templates"
            ),
            serializer_class=PolicyOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="dunning_policies_create",
        request=PolicyInputSerializer,
        responses={201: PolicyOutputSerializer},
        description="Levels in ascending days overdue (negative days: a reminder before the "
        "due date). Templates may use only the documented placeholders; an unknown one is "
        "refused (422) with its name.",
    )
    def post(self, request: Request) -> Response:
        data = PolicyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = dunning_policy_create(tenant=self.tenant, actor=self.actor, data=data.to_input())
        policy = selectors.dunning_policy_get(tenant=self.tenant, policy_id=policy.pk)
        return Response(PolicyOutputSerializer(policy).data, status=status.HTTP_201_CREATED)


class PolicyDetailApi(_CollectionsView):
    @extend_schema(
        tags=TAGS, operation_id="dunning_policies_retrieve", responses=PolicyOutputSerializer
    )
    def get(self, request: Request, policy_id: int) -> Response:
        policy = selectors.dunning_policy_get(tenant=self.tenant, policy_id=policy_id)
        return Response(PolicyOutputSerializer(policy).data)

    @extend_schema(
        tags=TAGS,
        operation_id="dunning_policies_update",
        request=PolicyInputSerializer,
        responses=PolicyOutputSerializer,
    )
    def put(self, request: Request, policy_id: int) -> Response:
        selectors.dunning_policy_get(tenant=self.tenant, policy_id=policy_id)
        data = PolicyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dunning_policy_update(
            tenant=self.tenant, actor=self.actor, policy_id=policy_id, data=data.to_input()
        )
        policy = selectors.dunning_policy_get(tenant=self.tenant, policy_id=policy_id)
        return Response(PolicyOutputSerializer(policy).data)


class RunListApi(_CollectionsView):
    @extend_schema(
        tags=TAGS, operation_id="dunning_runs_list", responses=RunOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=selectors.dunning_run_list(tenant=self.tenant),
            serializer_class=RunOutputSerializer,
            request=request,
            view=self,
            pagination_class=RunPagination,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="dunning_runs_create",
        request=RunInputSerializer,
        responses={201: RunOutputSerializer},
        description="Start (or find) the run of `run_date` (default: today). Letters are "
        "selected at once and delivered by workers; a day has one run, so starting it "
        "again answers the same run.",
    )
    def post(self, request: Request) -> Response:
        data = RunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run_date = data.validated_data.get("run_date") or tenant_today(self.tenant)
        if run_date > tenant_today(self.tenant):
            raise serializers.ValidationError({"run_date": ["A run cannot be for a future day."]})
        run = dunning_run_start(
            tenant=self.tenant, actor=self.actor, run_date=run_date, trigger=RunTrigger.MANUAL
        )
        from collections_app.dunning.tasks import deliver_letter

        for letter_id in dunning_run_pending_letter_ids(tenant=self.tenant, run=run):
            deliver_letter.delay_on_commit(self.tenant.pk, letter_id)
        return Response(RunOutputSerializer(run).data, status=status.HTTP_201_CREATED)


class RunDetailApi(_CollectionsView):
    @extend_schema(tags=TAGS, operation_id="dunning_runs_retrieve", responses=RunOutputSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        run = selectors.dunning_run_get(tenant=self.tenant, run_id=run_id)
        return Response(RunOutputSerializer(run).data)


class RunLettersApi(_CollectionsView):
    @extend_schema(
        tags=TAGS, operation_id="dunning_runs_letters", responses=LetterOutputSerializer(many=True)
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = selectors.dunning_run_get(tenant=self.tenant, run_id=run_id)
        letters: QuerySet[DunningLetter] = (
            DunningLetter.objects.for_tenant(self.tenant)
            .filter(run=run)
            .select_related("customer", "level")
            .defer("pdf")
            .prefetch_related(
                Prefetch(
                    "notices",
                    queryset=DunningNotice.objects.for_tenant(self.tenant).select_related(
                        "open_item"
                    ),
                )
            )
        )
        return paginated_response(
            queryset=letters, serializer_class=LetterOutputSerializer, request=request, view=self
        )


_PreviewRow = inline_serializer(
    name="DunningPreviewRow",
    fields={
        "customer_id": serializers.IntegerField(),
        "open_item_id": serializers.IntegerField(),
        "level_number": serializers.IntegerField(),
        "days_overdue": serializers.IntegerField(),
        "currency": serializers.CharField(),
        "open_amount": serializers.DecimalField(max_digits=18, decimal_places=4),
    },
)


class RunPreviewApi(_CollectionsView):
    @extend_schema(
        tags=TAGS,
        operation_id="dunning_runs_preview",
        parameters=[PreviewQuerySerializer],
        responses=inline_serializer(
            name="DunningPreview",
            fields={
                "day": serializers.DateField(),
                "letters": serializers.IntegerField(),
                "items": _PreviewRow,
            },
        ),
        description="What a run on `day` (default today) would chase; records nothing.",
    )
    def get(self, request: Request) -> Response:
        query = PreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("day") or tenant_today(self.tenant)
        pairs = dunning_due_pairs(tenant=self.tenant, day=day)
        return Response(
            {
                "day": day.isoformat(),
                "letters": len({p.customer_id for p in pairs}),
                "items": [
                    {
                        "customer_id": p.customer_id,
                        "open_item_id": p.item_id,
                        "level_number": p.level_number,
                        "days_overdue": p.days_overdue,
                        "currency": p.currency,
                        "open_amount": str(p.open_amount),
                    }
                    for p in pairs
                ],
            }
        )


class ActivityListApi(_CollectionsView):
    @extend_schema(
        tags=TAGS,
        operation_id="activities_list",
        parameters=[ActivityFilterSerializer],
        responses=ActivityOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = ActivityFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        activities = selectors.activity_list(
            tenant=self.tenant,
            customer_id=filters.validated_data.get("customer_id"),
            kind=filters.validated_data.get("kind", ""),
        )
        return paginated_response(
            queryset=activities,
            serializer_class=ActivityOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="activities_create",
        request=ActivityInputSerializer,
        responses={201: ActivityOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = ActivityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        activity = activity_log(tenant=self.tenant, actor=self.actor, **data.validated_data)
        return Response(ActivityOutputSerializer(activity).data, status=status.HTTP_201_CREATED)


class PromiseListApi(_CollectionsView):
    @extend_schema(
        tags=TAGS,
        operation_id="promises_to_pay_list",
        parameters=[PromiseFilterSerializer],
        responses=PromiseOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = PromiseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        promises = selectors.promise_list(
            tenant=self.tenant,
            customer_id=filters.validated_data.get("customer_id"),
            status=filters.validated_data.get("status", ""),
        )
        return paginated_response(
            queryset=promises,
            serializer_class=PromiseOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="promises_to_pay_create",
        request=PromiseInputSerializer,
        responses={201: PromiseOutputSerializer},
        description="Kept automatically when cash application applies the amount to the "
        "items (or the account), broken when the date passes without it.",
    )
    def post(self, request: Request) -> Response:
        data = PromiseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields: dict[str, Any] = dict(data.validated_data)
        fields["currency"] = fields["currency"].upper()
        promise = promise_record(tenant=self.tenant, actor=self.actor, data=PromiseInput(**fields))
        promise = selectors.promise_get(tenant=self.tenant, promise_id=promise.pk)
        return Response(PromiseOutputSerializer(promise).data, status=status.HTTP_201_CREATED)


class PromiseDetailApi(_CollectionsView):
    @extend_schema(
        tags=TAGS, operation_id="promises_to_pay_retrieve", responses=PromiseOutputSerializer
    )
    def get(self, request: Request, promise_id: int) -> Response:
        promise = selectors.promise_get(tenant=self.tenant, promise_id=promise_id)
        return Response(PromiseOutputSerializer(promise).data)


class PromiseCancelApi(_CollectionsView):
    @extend_schema(
        tags=TAGS,
        operation_id="promises_to_pay_cancel",
        request=None,
        responses=PromiseOutputSerializer,
    )
    def post(self, request: Request, promise_id: int) -> Response:
        promise_cancel(tenant=self.tenant, actor=self.actor, promise_id=promise_id)
        promise = selectors.promise_get(tenant=self.tenant, promise_id=promise_id)
        return Response(PromiseOutputSerializer(promise).data)


class WorklistApi(_CollectionsView):
    @extend_schema(
        tags=TAGS,
        operation_id="worklist_list",
        parameters=[WorklistFilterSerializer],
        responses=WorklistOutputSerializer(many=True),
        description="The day's priority per customer with overdue money, highest first, "
        "with the reasons; `collector_id` narrows it to one collector's customers.",
    )
    def get(self, request: Request) -> Response:
        filters = WorklistFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        day = filters.validated_data.get("day") or tenant_today(self.tenant)
        if day == tenant_today(self.tenant) and not selectors.worklist_computed(
            tenant=self.tenant, day=day
        ):
            collection_priorities_compute(tenant=self.tenant, day=day)
        rows = selectors.worklist(
            tenant=self.tenant, day=day, collector_id=filters.validated_data.get("collector_id")
        )
        return paginated_response(
            queryset=rows,
            serializer_class=WorklistOutputSerializer,
            request=request,
            view=self,
            pagination_class=WorklistPagination,
        )
