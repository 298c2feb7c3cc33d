from django.urls import path

from credit import application_views, review_views, views

app_name = "credit"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("orders/", views.order_list, name="orders"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/release/", views.order_release, name="order_release"),
    path("orders/<int:pk>/reject/", views.order_reject, name="order_reject"),
    path("orders/<int:pk>/request-info/", views.order_request_info, name="order_request_info"),
    path("customers/<int:pk>/", views.customer_credit, name="customer"),
    path("customers/<int:pk>/limit/", views.customer_limit, name="customer_limit"),
    path("customers/<int:pk>/profile/", views.customer_profile, name="customer_profile"),
    path("customers/<int:pk>/rescore/", views.customer_rescore, name="customer_rescore"),
    path("policy/", views.policy, name="policy"),
    path("reviews/", review_views.review_worklist, name="reviews"),
    path("reviews/<int:pk>/", review_views.review_detail, name="review_detail"),
    path("applications/", application_views.application_list, name="applications"),
    path("applications/new/", application_views.application_new, name="application_new"),
    path(
        "applications/<int:pk>/",
        application_views.application_detail,
        name="application_detail",
    ),
    path(
        "applications/<int:pk>/<slug:action>/",
        application_views.application_action,
        name="application_action",
    ),
]
