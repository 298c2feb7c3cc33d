from django.urls import path

from otc.fx import views

app_name = "fx"
urlpatterns = [
    path("", views.rates_page, name="rates"),
    path("manual-rates/new/", views.manual_rate_create, name="manual_rate_create"),
    path("revaluation/", views.revaluation_page, name="revaluation"),
    path("revaluation/csv/", views.revaluation_csv, name="revaluation_csv"),
]
