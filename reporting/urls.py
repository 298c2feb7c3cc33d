from django.urls import path

from reporting import file_views, views

app_name = "reporting"
urlpatterns = [
    path("aging/", views.aging, name="aging"),
    path("aging/items/", views.aging_items, name="aging_items"),
    path("aging/items/export.csv", views.aging_items_export, name="aging_items_export"),
    path("kpis/", views.kpis, name="kpis"),
    path("cash-forecast/", views.cash_forecast_page, name="cash_forecast"),
    path("settings/", views.bucket_settings, name="settings"),
    path("customer-options/", views.customer_options_view, name="customer_options"),
    path("files/", file_views.report_files, name="files"),
    path("files/<int:run_id>/retry/", file_views.report_file_retry, name="file_retry"),
    path("files/<int:run_id>/download/", file_views.report_file_download, name="file_download"),
    path("subscriptions/", file_views.subscriptions, name="subscriptions"),
    path(
        "subscriptions/<int:subscription_id>/<str:action>/",
        file_views.subscription_change,
        name="subscription_change",
    ),
]
