"""Mounted at /api/v1/ by otc.urls, without a namespace."""

from django.urls import path

from invoicing.api import documents, views

urlpatterns = [
    path("invoices/", views.InvoiceListApi.as_view(), name="api-invoice-list"),
    path("invoices/bulk/", views.InvoiceBulkApi.as_view(), name="api-invoice-bulk"),
    path(
        "invoices/from-order/", views.InvoiceFromOrderApi.as_view(), name="api-invoice-from-order"
    ),
    path("invoices/<id:invoice_id>/", views.InvoiceDetailApi.as_view(), name="api-invoice-detail"),
    path(
        "invoices/<id:invoice_id>/issue/",
        views.InvoiceIssueApi.as_view(),
        name="api-invoice-issue",
    ),
    path(
        "invoices/<id:invoice_id>/cancel/",
        views.InvoiceCancelApi.as_view(),
        name="api-invoice-cancel",
    ),
    path(
        "invoices/<id:invoice_id>/pdf/", documents.InvoicePdfApi.as_view(), name="api-invoice-pdf"
    ),
    path(
        "invoices/<id:invoice_id>/xml/", documents.InvoiceXmlApi.as_view(), name="api-invoice-xml"
    ),
    path(
        "invoices/<id:invoice_id>/send/",
        documents.InvoiceSendApi.as_view(),
        name="api-invoice-send",
    ),
    path(
        "invoices/<id:invoice_id>/deliveries/",
        documents.InvoiceDeliveriesApi.as_view(),
        name="api-invoice-deliveries",
    ),
    path("credit-memos/", views.CreditMemoListApi.as_view(), name="api-credit-memo-list"),
    path("debit-memos/", views.DebitMemoListApi.as_view(), name="api-debit-memo-list"),
]
