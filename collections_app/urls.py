from django.urls import path

from collections_app import views

app_name = "cash"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("payments/<id:payment_id>/", views.payment_detail, name="payment_detail"),
    path(
        "payments/<id:payment_id>/proposals/<id:proposal_id>/accept/",
        views.proposal_accept,
        name="proposal_accept",
    ),
    path("payments/<id:payment_id>/allocate/", views.payment_allocate, name="payment_allocate"),
    path(
        "payments/<id:payment_id>/remainder/",
        views.allocation_remainder,
        name="allocation_remainder",
    ),
    path("payments/<id:payment_id>/unapply/", views.payment_unapply, name="payment_unapply"),
    path("payments/<id:payment_id>/return/", views.payment_return, name="payment_return"),
    path("payments/<id:payment_id>/refund/", views.payment_refund, name="payment_refund"),
    path("payments/<id:payment_id>/rematch/", views.payment_rematch, name="payment_rematch"),
    path("settings/", views.cash_settings, name="settings"),
    path("remittances/upload/", views.remittance_upload, name="remittance_upload"),
    path("statements/", views.statements, name="statements"),
    path("statements/upload/", views.statement_upload, name="statement_upload"),
    path("statements/<id:statement_id>/", views.statement_detail, name="statement_detail"),
]
