from django.urls import path

from otc.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/status/<str:status>/", views.customer_set_status, name="set_status"),
    path("<int:pk>/contacts/new/", views.contact_add, name="contact_add"),
    path("<int:pk>/contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_id>/remove/", views.contact_remove, name="contact_remove"),
    path("<int:pk>/addresses/new/", views.address_add, name="address_add"),
    path("<int:pk>/addresses/<int:address_id>/edit/", views.address_edit, name="address_edit"),
    path(
        "<int:pk>/addresses/<int:address_id>/remove/",
        views.address_remove,
        name="address_remove",
    ),
    path("payment-terms/", views.payment_terms_list, name="payment_terms_list"),
    path("payment-terms/new/", views.payment_terms_create, name="payment_terms_create"),
    path("payment-terms/<int:pk>/edit/", views.payment_terms_edit, name="payment_terms_edit"),
]
