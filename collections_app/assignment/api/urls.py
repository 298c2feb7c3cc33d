"""Mounted at /api/v1/ through collections_app.api.urls."""

from django.urls import path

from collections_app.assignment.api import views

urlpatterns = [
    path("collector-rules/", views.RuleListApi.as_view(), name="api-collector-rule-list"),
    path(
        "collector-rules/<id:rule_id>/",
        views.RuleDetailApi.as_view(),
        name="api-collector-rule-detail",
    ),
    path("collector-assignment/", views.AssignApi.as_view(), name="api-collector-assignment"),
    path(
        "collector-overrides/", views.OverrideListApi.as_view(), name="api-collector-override-list"
    ),
    path(
        "collector-overrides/<id:customer_id>/",
        views.OverrideDetailApi.as_view(),
        name="api-collector-override-detail",
    ),
]
