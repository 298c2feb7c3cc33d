"""/api/v1/report-runs/: request a report file (202 + Location), poll it,
download it, retry a failed one. The filters are the report pages' own
form (reporting.forms.ReportRequestForm)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from otc.api.errors import PROBLEM_CONTENT_TYPE
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.serializers import ProblemSerializer, StrictInputSerializer
from otc.api.views import TenantAPIView
from otc.errors import ConflictError
from otc.tenancy.roles import Perm
from reporting.forms import ReportParametersForm, ReportRequestForm
from reporting.models import ReportFormat, ReportKind, ReportRun, RunStatus
from reporting.selectors.report_runs import report_run_get, report_run_list
from reporting.services.report_runs import CONTENT_TYPES, report_run_request, report_run_retry

TAGS = ["Reports"]
FILTER_NAMES = sorted(set(ReportParametersForm.base_fields))
_PROBLEMS = {
    (400, PROBLEM_CONTENT_TYPE): ProblemSerializer,
    (404, PROBLEM_CONTENT_TYPE): ProblemSerializer,
    (409, PROBLEM_CONTENT_TYPE): ProblemSerializer,
    (422, PROBLEM_CONTENT_TYPE): ProblemSerializer,
}


class ReportRunInputSerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    format = serializers.ChoiceField(choices=ReportFormat.choices)
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text="Any of: " + ", ".join(FILTER_NAMES) + ". as_of is YYYY-MM-DD, not in the "
        "future (empty: the day the report is made); group_by one of customer, "
        "customer_group, collector, risk_class, country, currency; customer (id) is required "
        "for a customer statement.",
    )


class ReportRunOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    format = serializers.CharField()
    parameters = serializers.DictField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    progress = serializers.IntegerField(help_text="0-100")
    error = serializers.CharField(help_text="Why a failed run failed; empty otherwise.")
    file_name = serializers.CharField()
    file_size = serializers.IntegerField()
    download_url = serializers.SerializerMethodField()
    requested_by = serializers.CharField(source="requested_label")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    seconds = serializers.FloatField(allow_null=True)

    def get_download_url(self, run: ReportRun) -> str | None:
        if run.status != RunStatus.SUCCEEDED:
            return None
        return reverse("api-report-run-download", args=[run.pk])


def _filters(data: dict[str, Any], tenant: Any) -> ReportRequestForm:
    filters = data.get("filters") or {}
    unknown = sorted(set(filters) - set(FILTER_NAMES))
    if unknown:
        raise ValidationError(
            {
                f"filters.{name}": [f"Unknown filter: use {', '.join(FILTER_NAMES)}."]
                for name in unknown
            }
        )
    form = ReportRequestForm(
        {
            **{k: v for k, v in filters.items() if v is not None},
            "kind": data["kind"],
            "format": data["format"],
        },
        tenant=tenant,
    )
    if not form.is_valid():
        raise ValidationError(
            {
                (name if name in ("kind", "format", "__all__") else f"filters.{name}"): [
                    str(error) for error in errors
                ]
                for name, errors in form.errors.items()
            }
        )
    return form


class RunPagination(CursorPagination):
    ordering = ("-created_at", "-id")  # type: ignore[assignment]


class ReportRunListApi(TenantAPIView):
    read_permission = Perm.REPORTS_VIEW
    write_permission = Perm.REPORTS_VIEW  # asking for a report changes no figures

    @extend_schema(
        tags=TAGS,
        operation_id="report_runs_list",
        responses=ReportRunOutputSerializer(many=True),
        description="The tenant's report runs, newest first.",
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=report_run_list(tenant=self.tenant),
            serializer_class=ReportRunOutputSerializer,
            request=request,
            view=self,
            pagination_class=RunPagination,
        )

    @extend_schema(
        tags=TAGS,
        operation_id="report_runs_create",
        request=ReportRunInputSerializer,
        responses={202: ReportRunOutputSerializer, **_PROBLEMS},
        description="Queue a report file (aging, KPI pack, customer statement, deductions, "
        "cash forecast as PDF, XLSX or CSV). Answers 202 with the run and its Location; poll "
        "it until `status` is succeeded, then GET `download_url`.",
    )
    def post(self, request: Request) -> Response:
        data = ReportRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        form = _filters(data.validated_data, self.tenant)
        run = report_run_request(
            tenant=self.tenant,
            actor=self.actor,
            kind=form.cleaned_data["kind"],
            file_format=form.cleaned_data["format"],
            parameters=form.parameters(),
        )
        location = reverse("api-report-run-detail", args=[run.pk])
        return Response(
            ReportRunOutputSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


class ReportRunDetailApi(TenantAPIView):
    read_permission = Perm.REPORTS_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="report_runs_retrieve",
        responses={200: ReportRunOutputSerializer, **_PROBLEMS},
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = report_run_get(tenant=self.tenant, run_id=run_id)
        return Response(ReportRunOutputSerializer(run).data)


class ReportRunRetryApi(TenantAPIView):
    write_permission = Perm.REPORTS_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="report_runs_retry",
        request=None,
        responses={202: ReportRunOutputSerializer, **_PROBLEMS},
        description="Queue a failed run again (409 for any other status).",
    )
    def post(self, request: Request, run_id: int) -> Response:
        run = report_run_retry(tenant=self.tenant, actor=self.actor, run_id=run_id)
        return Response(
            ReportRunOutputSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("api-report-run-detail", args=[run.pk])},
        )


def report_file_response(run: ReportRun) -> FileResponse:
    """The run's file as a download (shared with the HTML page)."""
    if run.status != RunStatus.SUCCEEDED or not run.file:
        raise ConflictError(f"This report is {run.get_status_display().lower()}: no file yet.")
    response = FileResponse(
        run.file.open("rb"),
        as_attachment=True,
        filename=run.file_name,
        content_type=CONTENT_TYPES[ReportFormat(run.format)],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class _AnyAccept(BaseContentNegotiation):
    """The answer is a file whatever the client accepts (a browser or PDF
    reader sends `Accept: application/pdf`); problems still render as JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


class ReportRunDownloadApi(TenantAPIView):
    read_permission = Perm.REPORTS_VIEW
    content_negotiation_class = _AnyAccept

    @extend_schema(
        tags=TAGS,
        operation_id="report_runs_download",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The PDF, XLSX or CSV file."
            ),
            **_PROBLEMS,
        },
    )
    def get(self, request: Request, run_id: int) -> FileResponse:
        return report_file_response(report_run_get(tenant=self.tenant, run_id=run_id))
