from django.urls import path

from invoicing import views

app_name = "invoicing"
urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("new/", views.invoice_create, name="create"),
    path("import/", views.invoice_import, name="import"),
    path("lines/editor/", views.line_editor, name="line_editor"),
    path("lines/preview/", views.line_preview, name="line_preview"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/edit/", views.invoice_edit, name="edit"),
    path("<int:pk>/issue/", views.invoice_issue, name="issue"),
    path("<int:pk>/cancel/", views.invoice_cancel, name="cancel"),
    path("<int:pk>/credit-memo/", views.credit_memo_create, name="credit_memo"),
]
