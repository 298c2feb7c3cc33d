"""Mounted at /api/v1/ by otc.urls, without a namespace."""

from django.urls import path

from otc.fx.api import views

urlpatterns = [
    path("fx-rates/", views.FxRatesApi.as_view(), name="api-fx-rates"),
    path("fx-rates/manual/", views.ManualRateListApi.as_view(), name="api-fx-manual-rates"),
]
