"""Mounted at /api/v1/ by otc.urls, without a namespace."""

from django.urls import path

from otc.customers.api import views

urlpatterns = [
    path("customers/", views.CustomerListApi.as_view(), name="api-customer-list"),
    path(
        "customers/by-external-ref/<path:external_ref>/",
        views.CustomerByExternalRefApi.as_view(),
        name="api-customer-by-external-ref",
    ),
    path(
        "customers/<id:customer_id>/",
        views.CustomerDetailApi.as_view(),
        name="api-customer-detail",
    ),
    path(
        "customers/<id:customer_id>/status/",
        views.CustomerStatusApi.as_view(),
        name="api-customer-status",
    ),
    path("payment-terms/", views.PaymentTermsListApi.as_view(), name="api-payment-terms-list"),
    path(
        "payment-terms/<id:terms_id>/",
        views.PaymentTermsDetailApi.as_view(),
        name="api-payment-terms-detail",
    ),
]
