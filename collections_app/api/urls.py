"""Mounted at /api/v1/ by otc.urls, without a namespace."""

from django.urls import include, path

from collections_app.api import views

urlpatterns = [
    path("payments/", views.PaymentListApi.as_view(), name="api-payment-list"),
    path("payments/<id:payment_id>/", views.PaymentDetailApi.as_view(), name="api-payment-detail"),
    path(
        "payments/<id:payment_id>/apply/",
        views.PaymentApplyApi.as_view(),
        name="api-payment-apply",
    ),
    path(
        "payments/<id:payment_id>/unapply/",
        views.PaymentUnapplyApi.as_view(),
        name="api-payment-unapply",
    ),
    path(
        "payments/<id:payment_id>/return/",
        views.PaymentReturnApi.as_view(),
        name="api-payment-return",
    ),
    path(
        "payments/<id:payment_id>/refund/",
        views.PaymentRefundApi.as_view(),
        name="api-payment-refund",
    ),
    path(
        "payments/<id:payment_id>/match/",
        views.PaymentMatchApi.as_view(),
        name="api-payment-match",
    ),
    path("bank-statements/", views.StatementListApi.as_view(), name="api-statement-list"),
    path(
        "bank-statements/<id:statement_id>/",
        views.StatementDetailApi.as_view(),
        name="api-statement-detail",
    ),
    path(
        "bank-statements/<id:statement_id>/lines/",
        views.StatementLinesApi.as_view(),
        name="api-statement-lines",
    ),
    path("remittances/", views.RemittanceListApi.as_view(), name="api-remittance-list"),
    path(
        "remittances/<id:remittance_id>/",
        views.RemittanceDetailApi.as_view(),
        name="api-remittance-detail",
    ),
    path("cash-metrics/", views.CashMetricsApi.as_view(), name="api-cash-metrics"),
    path("csv-mappings/", views.CsvMappingListApi.as_view(), name="api-csv-mapping-list"),
    path("", include("collections_app.dunning.api.urls")),
    path("", include("collections_app.strategies.api.urls")),
    path("", include("collections_app.assignment.api.urls")),
]
