from django.urls import path

from otc.ledger import views

app_name = "ledger"
urlpatterns = [
    path("customers/<id:customer_id>/items/", views.customer_items, name="customer_items"),
]
