"""Mounted at /api/v1/ by otc.urls, without a namespace."""

from django.urls import path

from deductions.api import views, views_returns

urlpatterns = [
    path("deductions/", views.DeductionListApi.as_view(), name="api-deduction-list"),
    path("deductions/disputes/", views.DisputeApi.as_view(), name="api-deduction-dispute"),
    path(
        "deductions/<id:deduction_id>/",
        views.DeductionDetailApi.as_view(),
        name="api-deduction-detail",
    ),
    path(
        "deductions/<id:deduction_id>/assign/",
        views.AssignApi.as_view(),
        name="api-deduction-assign",
    ),
    path(
        "deductions/<id:deduction_id>/transition/",
        views.TransitionApi.as_view(),
        name="api-deduction-transition",
    ),
    path(
        "deductions/<id:deduction_id>/reason/",
        views.ReasonApi.as_view(),
        name="api-deduction-reason",
    ),
    path(
        "deductions/<id:deduction_id>/resolve/",
        views.ResolveApi.as_view(),
        name="api-deduction-resolve",
    ),
    path(
        "deductions/<id:deduction_id>/write-offs/<id:resolution_id>/approve/",
        views.WriteOffApproveApi.as_view(),
        name="api-deduction-write-off-approve",
    ),
    path(
        "deductions/<id:deduction_id>/write-offs/<id:resolution_id>/reject/",
        views.WriteOffRejectApi.as_view(),
        name="api-deduction-write-off-reject",
    ),
    path(
        "deductions/<id:deduction_id>/attachments/",
        views.AttachmentListApi.as_view(),
        name="api-deduction-attachments",
    ),
    path(
        "deductions/<id:deduction_id>/attachments/<id:attachment_id>/",
        views.AttachmentDownloadApi.as_view(),
        name="api-deduction-attachment",
    ),
    path(
        "deduction-reason-codes/",
        views.ReasonCodeListApi.as_view(),
        name="api-deduction-reason-code-list",
    ),
    path(
        "deduction-reason-codes/<id:reason_id>/",
        views.ReasonCodeDetailApi.as_view(),
        name="api-deduction-reason-code-detail",
    ),
    path(
        "deduction-reason-mappings/",
        views.MappingListApi.as_view(),
        name="api-deduction-mapping-list",
    ),
    path(
        "deduction-reason-mappings/<id:mapping_id>/",
        views.MappingDetailApi.as_view(),
        name="api-deduction-mapping-detail",
    ),
]

# Returns (RMA) and refunds.
urlpatterns += [
    path("returns/", views_returns.ReturnListApi.as_view(), name="api-return-list"),
    path("returns/<id:rma_id>/", views_returns.ReturnDetailApi.as_view(), name="api-return-detail"),
    path(
        "returns/<id:rma_id>/authorise/",
        views_returns.ReturnAuthoriseApi.as_view(),
        name="api-return-authorise",
    ),
    path(
        "returns/<id:rma_id>/receive/",
        views_returns.ReturnReceiveApi.as_view(),
        name="api-return-receive",
    ),
    path(
        "returns/<id:rma_id>/credit/",
        views_returns.ReturnCreditApi.as_view(),
        name="api-return-credit",
    ),
    path(
        "returns/<id:rma_id>/close/",
        views_returns.ReturnCloseApi.as_view(),
        name="api-return-close",
    ),
    path(
        "returns/<id:rma_id>/cancel/",
        views_returns.ReturnCancelApi.as_view(),
        name="api-return-cancel",
    ),
    path("refunds/", views_returns.RefundListApi.as_view(), name="api-refund-list"),
    path(
        "refunds/exports/",
        views_returns.RefundExportListApi.as_view(),
        name="api-refund-export-list",
    ),
    path(
        "refunds/exports/<id:export_id>/file/",
        views_returns.RefundExportFileApi.as_view(),
        name="api-refund-export-file",
    ),
    path(
        "refunds/<id:refund_id>/",
        views_returns.RefundDetailApi.as_view(),
        name="api-refund-detail",
    ),
    path(
        "refunds/<id:refund_id>/approve/",
        views_returns.RefundApproveApi.as_view(),
        name="api-refund-approve",
    ),
    path(
        "refunds/<id:refund_id>/reject/",
        views_returns.RefundRejectApi.as_view(),
        name="api-refund-reject",
    ),
]
