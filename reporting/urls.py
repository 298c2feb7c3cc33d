from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path("aging/", views.aging, name="aging"),
    path("aging/items/", views.aging_items, name="aging_items"),
    path("kpis/", views.kpis, name="kpis"),
    path("cash-forecast/", views.cash_forecast_page, name="cash_forecast"),
    path("settings/", views.bucket_settings, name="settings"),
    path("customer-options/", views.customer_options_view, name="customer_options"),
]
