from django.urls import path

from deductions import views

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
