"""Mounted at /api/v1/ by otc.urls, without a namespace."""

from django.urls import path

from otc.ledger.api import views

urlpatterns = [
    path("open-items/", views.OpenItemListApi.as_view(), name="api-open-item-list"),
    path(
        "customers/<id:customer_id>/balance/",
        views.CustomerBalanceApi.as_view(),
        name="api-customer-balance",
    ),
    path(
        "customers/<id:customer_id>/aging/",
        views.CustomerAgingApi.as_view(),
        name="api-customer-aging",
    ),
]
