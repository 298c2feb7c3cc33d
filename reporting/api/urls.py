"""Mounted at /api/v1/ by otc.urls, without a namespace."""

from django.urls import path

from reporting.api import report_runs, views

urlpatterns = [
    path("reports/aging/", views.AgingReportApi.as_view(), name="api-report-aging"),
    path(
        "reports/cash-forecast/", views.CashForecastApi.as_view(), name="api-report-cash-forecast"
    ),
    path("reports/kpis/", views.KpiReportApi.as_view(), name="api-report-kpis"),
    path("reports/aging/items/", views.AgingItemsApi.as_view(), name="api-report-aging-items"),
]
urlpatterns += [
    path("report-runs/", report_runs.ReportRunListApi.as_view(), name="api-report-run-list"),
    path(
        "report-runs/<int:run_id>/",
        report_runs.ReportRunDetailApi.as_view(),
        name="api-report-run-detail",
    ),
    path(
        "report-runs/<int:run_id>/retry/",
        report_runs.ReportRunRetryApi.as_view(),
        name="api-report-run-retry",
    ),
    path(
        "report-runs/<int:run_id>/download/",
        report_runs.ReportRunDownloadApi.as_view(),
        name="api-report-run-download",
    ),
]
