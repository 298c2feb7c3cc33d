from django.urls import path

from deductions import views, views_returns

app_name = "deductions"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("dispute/", views.dispute, name="dispute"),
    path("figures/", views.figures, name="figures"),
    path("reason-codes/", views.reason_codes, name="reason_codes"),
    path("<int:pk>/", views.detail, name="detail"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("<int:pk>/<slug:name>/", views.action, name="action"),
]

# Returns (RMA) and refunds.
urlpatterns += [
    path("returns/", views_returns.return_list, name="return_list"),
    path("returns/new/", views_returns.return_new, name="return_new"),
    path("returns/<int:pk>/", views_returns.return_detail, name="return_detail"),
    path("returns/<int:pk>/<slug:name>/", views_returns.return_action, name="return_action"),
    path("refunds/", views_returns.refund_list, name="refund_list"),
    path("refunds/new/", views_returns.refund_new, name="refund_new"),
    path("refunds/export/", views_returns.refund_export, name="refund_export"),
    path(
        "refunds/exports/<int:export_id>/",
        views_returns.refund_export_file,
        name="refund_export_file",
    ),
    path("refunds/<int:pk>/", views_returns.refund_detail, name="refund_detail"),
    path("refunds/<int:pk>/<slug:name>/", views_returns.refund_action, name="refund_action"),
]
