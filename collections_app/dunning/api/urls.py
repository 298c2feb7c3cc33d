"""Mounted at /api/v1/ through collections_app.api.urls."""

from django.urls import path

from collections_app.dunning.api import views

urlpatterns = [
    path("dunning-policies/", views.PolicyListApi.as_view(), name="api-dunning-policy-list"),
    path(
        "dunning-policies/<id:policy_id>/",
        views.PolicyDetailApi.as_view(),
        name="api-dunning-policy-detail",
    ),
    path("dunning-runs/", views.RunListApi.as_view(), name="api-dunning-run-list"),
    path("dunning-runs/preview/", views.RunPreviewApi.as_view(), name="api-dunning-run-preview"),
    path("dunning-runs/<id:run_id>/", views.RunDetailApi.as_view(), name="api-dunning-run-detail"),
    path(
        "dunning-runs/<id:run_id>/letters/",
        views.RunLettersApi.as_view(),
        name="api-dunning-run-letters",
    ),
    path("activities/", views.ActivityListApi.as_view(), name="api-activity-list"),
    path("promises-to-pay/", views.PromiseListApi.as_view(), name="api-promise-list"),
    path(
        "promises-to-pay/<id:promise_id>/",
        views.PromiseDetailApi.as_view(),
        name="api-promise-detail",
    ),
    path(
        "promises-to-pay/<id:promise_id>/cancel/",
        views.PromiseCancelApi.as_view(),
        name="api-promise-cancel",
    ),
    path("worklist/", views.WorklistApi.as_view(), name="api-worklist"),
]
