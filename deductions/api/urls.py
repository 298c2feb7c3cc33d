"""Mounted at /api/v1/ by otc.urls, without a namespace."""

from django.urls import path

from deductions.api import views

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
