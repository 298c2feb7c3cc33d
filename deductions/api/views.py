"""REST endpoints of deductions: the queue, one deduction with its
resolutions and attachments, the actions (dispute, assign, transition,
reason, resolve, approve/reject write-offs), reason codes and mappings.
Thin: validate, call a service, serialize."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from deductions import selectors, services
from deductions.api.serializers import (
    AssignInputSerializer,
    AttachmentOutputSerializer,
    AttachmentUploadSerializer,
    DeductionDetailSerializer,
    DeductionFilterSerializer,
    DeductionOutputSerializer,
    DeductionPageSerializer,
    DisputeInputSerializer,
    MappingInputSerializer,
    MappingOutputSerializer,
    ReasonCodeInputSerializer,
    ReasonCodeOutputSerializer,
    ReasonCodeUpdateSerializer,
    ReasonInputSerializer,
    ResolutionOutputSerializer,
    ResolveInputSerializer,
    ResolveOutputSerializer,
    TransitionInputSerializer,
)
from deductions.models import Deduction
from otc.api.pagination import CursorPagination, paginated_response
from otc.api.views import TenantAPIView
from otc.errors import NotFound
from otc.tenancy.dates import tenant_today
from otc.tenancy.roles import Perm

TAGS = ["Deductions"]
REASON_TAGS = ["Deduction reason codes"]


class QueueCursorPagination(CursorPagination):
    ordering = "-id"


class _DeductionView(TenantAPIView):
    read_permission = Perm.DEDUCTIONS_VIEW
    write_permission = Perm.DEDUCTIONS_RESOLVE

    def _deduction(self, deduction_id: int) -> Deduction:
        found = selectors.deduction_get(
            tenant=self.tenant, deduction_id=deduction_id, today=tenant_today(self.tenant)
        )
        if found is None:
            raise NotFound("No such deduction.")
        return found

    def _detail(self, deduction_id: int) -> dict[str, Any]:
        deduction = self._deduction(deduction_id)
        deduction.resolutions_list = list(  # type: ignore[attr-defined]
            selectors.deduction_resolutions(tenant=self.tenant, deduction=deduction)
        )
        deduction.attachments_list = list(  # type: ignore[attr-defined]
            selectors.deduction_attachments(tenant=self.tenant, deduction=deduction)
        )
        body = dict(DeductionOutputSerializer(deduction).data)
        body["resolutions"] = ResolutionOutputSerializer(
            deduction.resolutions_list,  # type: ignore[attr-defined]
            many=True,
        ).data
        body["attachments"] = AttachmentOutputSerializer(
            deduction.attachments_list,  # type: ignore[attr-defined]
            many=True,
        ).data
        return body


class DeductionListApi(_DeductionView):
    @extend_schema(
        tags=TAGS,
        operation_id="deductions_list",
        parameters=[DeductionFilterSerializer],
        responses=DeductionPageSerializer,
        description="The deductions queue, newest first (open ones unless `status` says "
        "otherwise), with the open amount from the ledger and SLA breaches flagged.",
    )
    def get(self, request: Request) -> Response:
        filters = DeductionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = {
            k: v for k, v in filters.validated_data.items() if k not in {"cursor", "page_size"}
        }
        queue = selectors.deduction_queue(
            tenant=self.tenant,
            filters=selectors.QueueFilters(**params),
            today=tenant_today(self.tenant),
        )
        return paginated_response(
            queryset=queue,
            serializer_class=DeductionOutputSerializer,
            request=request,
            view=self,
            pagination_class=QueueCursorPagination,
        )


class DisputeApi(_DeductionView):
    write_permission = Perm.COLLECTIONS_WORK

    @extend_schema(
        tags=TAGS,
        operation_id="deductions_dispute",
        request=DisputeInputSerializer,
        responses={201: DeductionDetailSerializer},
        description="Raise a dispute on an issued invoice (or one of its lines): the "
        "disputed amount moves off the invoice to a new deduction, so dunning stops asking "
        "for it while it is researched.",
    )
    def post(self, request: Request) -> Response:
        data = DisputeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deduction = services.deduction_raise_dispute(
            tenant=self.tenant, actor=self.actor, **data.validated_data
        )
        return Response(
            self._detail(deduction.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api-deduction-detail", args=[deduction.pk])},
        )


class DeductionDetailApi(_DeductionView):
    @extend_schema(
        tags=TAGS,
        operation_id="deductions_retrieve",
        responses=DeductionDetailSerializer,
    )
    def get(self, request: Request, deduction_id: int) -> Response:
        return Response(self._detail(deduction_id))


class AssignApi(_DeductionView):
    @extend_schema(
        tags=TAGS,
        operation_id="deductions_assign",
        request=AssignInputSerializer,
        responses=DeductionDetailSerializer,
        description="Give the deduction an owner (a member's user id; null to unassign).",
    )
    def post(self, request: Request, deduction_id: int) -> Response:
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.deduction_assign(
            tenant=self.tenant,
            actor=self.actor,
            deduction_id=deduction_id,
            owner_id=data.validated_data["owner_id"],
            owner_team=data.validated_data.get("owner_team"),
        )
        return Response(self._detail(deduction_id))


class TransitionApi(_DeductionView):
    @extend_schema(
        tags=TAGS,
        operation_id="deductions_transition",
        request=TransitionInputSerializer,
        responses=DeductionDetailSerializer,
        description="Move the deduction along its transition table (research, waiting, "
        "valid/invalid, close, reopen with a `note`). A move not in the table is 409.",
    )
    def post(self, request: Request, deduction_id: int) -> Response:
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.deduction_transition(
            tenant=self.tenant,
            actor=self.actor,
            deduction_id=deduction_id,
            target=data.validated_data["status"],
            note=data.validated_data["note"],
        )
        return Response(self._detail(deduction_id))


class ReasonApi(_DeductionView):
    @extend_schema(
        tags=TAGS,
        operation_id="deductions_set_reason",
        request=ReasonInputSerializer,
        responses=DeductionDetailSerializer,
        description="Set the reason code; the customer's claim code is learned as a mapping.",
    )
    def post(self, request: Request, deduction_id: int) -> Response:
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.deduction_set_reason(
            tenant=self.tenant,
            actor=self.actor,
            deduction_id=deduction_id,
            reason_id=data.validated_data["reason_id"],
        )
        return Response(self._detail(deduction_id))


class ResolveApi(_DeductionView):
    @extend_schema(
        tags=TAGS,
        operation_id="deductions_resolve",
        request=ResolveInputSerializer,
        responses=ResolveOutputSerializer,
        description="Resolve a validated deduction: credit memo, re-bill, reinstate or "
        "write-off, or several parts that add up exactly to what is open. A write-off above "
        "the approver's limit (API keys have none) waits for a manager. More than is open "
        "is 422 and posts nothing.",
    )
    def post(self, request: Request, deduction_id: int) -> Response:
        data = ResolveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = services.deduction_resolve(
            tenant=self.tenant,
            actor=self.actor,
            deduction_id=deduction_id,
            parts=[services.ResolutionPart(**part) for part in data.validated_data["parts"]],
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return Response(
            {
                "deduction": self._detail(deduction_id),
                "resolutions": ResolutionOutputSerializer(rows, many=True).data,
            }
        )


class _WriteOffDecisionApi(_DeductionView):
    def _decided(self, deduction_id: int, resolution: Any) -> Response:
        if resolution.deduction_id != deduction_id:
            raise NotFound("No such resolution.")
        return Response(self._detail(deduction_id))


class WriteOffApproveApi(_WriteOffDecisionApi):
    @extend_schema(
        tags=TAGS,
        operation_id="deductions_write_off_approve",
        request=None,
        responses=DeductionDetailSerializer,
        description="Approve a write-off waiting for approval; needs a person whose "
        "approval limit covers it (not the requester).",
    )
    def post(self, request: Request, deduction_id: int, resolution_id: int) -> Response:
        self._deduction(deduction_id)
        row = services.deduction_write_off_approve(
            tenant=self.tenant, actor=self.actor, resolution_id=resolution_id
        )
        return self._decided(deduction_id, row)


class WriteOffRejectApi(_WriteOffDecisionApi):
    @extend_schema(
        tags=TAGS,
        operation_id="deductions_write_off_reject",
        request=None,
        responses=DeductionDetailSerializer,
    )
    def post(self, request: Request, deduction_id: int, resolution_id: int) -> Response:
        self._deduction(deduction_id)
        row = services.deduction_write_off_reject(
            tenant=self.tenant, actor=self.actor, resolution_id=resolution_id
        )
        return self._decided(deduction_id, row)


class AttachmentListApi(_DeductionView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS,
        operation_id="deductions_attachments_list",
        responses=AttachmentOutputSerializer(many=True),
    )
    def get(self, request: Request, deduction_id: int) -> Response:
        deduction = self._deduction(deduction_id)
        rows = selectors.deduction_attachments(tenant=self.tenant, deduction=deduction)
        return Response(AttachmentOutputSerializer(rows, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="deductions_attachments_create",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentOutputSerializer},
        description="Attach proof (PDF, image, text, CSV, XML, e-mail, Word/Excel; at most "
        "10 MB; the content must match its type).",
    )
    def post(self, request: Request, deduction_id: int) -> Response:
        data = AttachmentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.deduction_attachment_add(
            tenant=self.tenant,
            actor=self.actor,
            deduction_id=deduction_id,
            upload=data.validated_data["file"],
            description=data.validated_data["description"],
        )
        return Response(AttachmentOutputSerializer(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadApi(_DeductionView):
    @extend_schema(
        tags=TAGS,
        operation_id="deductions_attachments_download",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, deduction_id: int, attachment_id: int) -> FileResponse:
        attachment = services.deduction_attachment_get(
            tenant=self.tenant, deduction_id=deduction_id, attachment_id=attachment_id
        )
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )


class ReasonCodeListApi(TenantAPIView):
    read_permission = Perm.DEDUCTIONS_VIEW
    write_permission = Perm.DEDUCTIONS_RESOLVE

    @extend_schema(
        tags=REASON_TAGS,
        operation_id="deduction_reason_codes_list",
        responses=ReasonCodeOutputSerializer(many=True),
        description="The tenant's reason codes (the ten defaults are created on first use).",
    )
    def get(self, request: Request) -> Response:
        services.reason_codes_ensure(tenant=self.tenant)
        rows = selectors.reason_code_list(tenant=self.tenant)
        return Response(ReasonCodeOutputSerializer(rows, many=True).data)

    @extend_schema(
        tags=REASON_TAGS,
        operation_id="deduction_reason_codes_create",
        request=ReasonCodeInputSerializer,
        responses={201: ReasonCodeOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = ReasonCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = services.reason_code_create(
            tenant=self.tenant, actor=self.actor, **data.validated_data
        )
        return Response(ReasonCodeOutputSerializer(reason).data, status=status.HTTP_201_CREATED)


class ReasonCodeDetailApi(TenantAPIView):
    read_permission = Perm.DEDUCTIONS_VIEW
    write_permission = Perm.DEDUCTIONS_RESOLVE

    @extend_schema(
        tags=REASON_TAGS,
        operation_id="deduction_reason_codes_retrieve",
        responses=ReasonCodeOutputSerializer,
    )
    def get(self, request: Request, reason_id: int) -> Response:
        reason = services.reason_code_get(tenant=self.tenant, reason_id=reason_id)
        return Response(ReasonCodeOutputSerializer(reason).data)

    @extend_schema(
        tags=REASON_TAGS,
        operation_id="deduction_reason_codes_update",
        request=ReasonCodeUpdateSerializer,
        responses=ReasonCodeOutputSerializer,
    )
    def put(self, request: Request, reason_id: int) -> Response:
        data = ReasonCodeUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = services.reason_code_update(
            tenant=self.tenant, actor=self.actor, reason_id=reason_id, **data.validated_data
        )
        return Response(ReasonCodeOutputSerializer(reason).data)


class MappingListApi(TenantAPIView):
    read_permission = Perm.DEDUCTIONS_VIEW
    write_permission = Perm.DEDUCTIONS_RESOLVE

    @extend_schema(
        tags=REASON_TAGS,
        operation_id="deduction_reason_mappings_list",
        responses=MappingOutputSerializer(many=True),
        description="Claim codes (exact) and remittance phrases (contained) mapped to "
        "reason codes; `learned` ones came from analysts' decisions.",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.reason_mapping_list(tenant=self.tenant)
        return Response(MappingOutputSerializer(rows, many=True).data)

    @extend_schema(
        tags=REASON_TAGS,
        operation_id="deduction_reason_mappings_set",
        request=MappingInputSerializer,
        responses={201: MappingOutputSerializer},
        description="Map a claim code or phrase to a reason (replacing its mapping).",
    )
    def post(self, request: Request) -> Response:
        data = MappingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = services.reason_code_get(
            tenant=self.tenant, reason_id=data.validated_data["reason_id"]
        )
        mapping = services.reason_mapping_set(
            tenant=self.tenant,
            actor=self.actor,
            source=data.validated_data["source"],
            pattern=data.validated_data["pattern"],
            reason=reason,
        )
        return Response(MappingOutputSerializer(mapping).data, status=status.HTTP_201_CREATED)


class MappingDetailApi(TenantAPIView):
    read_permission = Perm.DEDUCTIONS_VIEW
    write_permission = Perm.DEDUCTIONS_RESOLVE

    @extend_schema(
        tags=REASON_TAGS, operation_id="deduction_reason_mappings_delete", responses={204: None}
    )
    def delete(self, request: Request, mapping_id: int) -> Response:
        services.reason_mapping_delete(tenant=self.tenant, actor=self.actor, mapping_id=mapping_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
