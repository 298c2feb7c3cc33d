from django.urls import path

from invoicing import document_views, order_views, views

app_name = "invoicing"
urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("new/", views.invoice_create, name="create"),
    path("import/", views.invoice_import, name="import"),
    path("from-order/<int:order_id>/", order_views.invoice_from_order, name="from_order"),
    path("lines/editor/", views.line_editor, name="line_editor"),
    path("lines/preview/", views.line_preview, name="line_preview"),
    path("outbox/", document_views.outbox, name="outbox"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/edit/", views.invoice_edit, name="edit"),
    path("<int:pk>/issue/", views.invoice_issue, name="issue"),
    path("<int:pk>/cancel/", views.invoice_cancel, name="cancel"),
    path("<int:pk>/credit-memo/", views.credit_memo_create, name="credit_memo"),
    path("<int:pk>/documents/", document_views.documents_panel, name="documents"),
    path(
        "<int:pk>/documents/generate/",
        document_views.documents_generate,
        name="documents_generate",
    ),
    path(
        "<int:pk>/documents/<slug:kind>/",
        document_views.document_download,
        name="document_download",
    ),
    path("<int:pk>/preview.pdf", document_views.draft_preview, name="draft_preview"),
    path("<int:pk>/send/", document_views.invoice_send, name="send"),
    path("<int:pk>/deliveries/", document_views.deliveries_panel, name="deliveries"),
]
