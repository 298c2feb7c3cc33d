"""Mounted at /api/v1/ by otc.urls, without a namespace."""

from django.urls import path

from reporting.api import views

urlpatterns = [
    path("reports/aging/", views.AgingReportApi.as_view(), name="api-report-aging"),
    path(
        "reports/cash-forecast/", views.CashForecastApi.as_view(), name="api-report-cash-forecast"
    ),
    path("reports/kpis/", views.KpiReportApi.as_view(), name="api-report-kpis"),
    path("reports/aging/items/", views.AgingItemsApi.as_view(), name="api-report-aging-items"),
]
