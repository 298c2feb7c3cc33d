"""Mounted at /api/v1/ by otc.urls, without a namespace."""

from django.urls import path

from credit.api import applications, reviews, views

urlpatterns = [
    path("orders/", views.OrderListApi.as_view(), name="api-order-list"),
    path("order-events/", views.OrderEventListApi.as_view(), name="api-order-event-list"),
    path("orders/<id:order_id>/", views.OrderDetailApi.as_view(), name="api-order-detail"),
    path("orders/<id:order_id>/submit/", views.OrderSubmitApi.as_view(), name="api-order-submit"),
    path(
        "orders/<id:order_id>/release/", views.OrderReleaseApi.as_view(), name="api-order-release"
    ),
    path("orders/<id:order_id>/reject/", views.OrderRejectApi.as_view(), name="api-order-reject"),
    path(
        "orders/<id:order_id>/request-info/",
        views.OrderRequestInfoApi.as_view(),
        name="api-order-request-info",
    ),
    path("orders/<id:order_id>/cancel/", views.OrderCancelApi.as_view(), name="api-order-cancel"),
    path("credit-profiles/", views.CreditProfileListApi.as_view(), name="api-credit-profile-list"),
    path(
        "credit-profiles/<id:customer_id>/",
        views.CreditProfileDetailApi.as_view(),
        name="api-credit-profile-detail",
    ),
    path(
        "credit-profiles/<id:customer_id>/limit/",
        views.CreditLimitApi.as_view(),
        name="api-credit-profile-limit",
    ),
    path(
        "credit-applications/",
        applications.ApplicationListApi.as_view(),
        name="api-credit-application-list",
    ),
    path(
        "credit-applications/<id:application_id>/",
        applications.ApplicationDetailApi.as_view(),
        name="api-credit-application-detail",
    ),
    path(
        "credit-applications/<id:application_id>/submit/",
        applications.ApplicationSubmitApi.as_view(),
        name="api-credit-application-submit",
    ),
    path(
        "credit-applications/<id:application_id>/start-review/",
        applications.ApplicationStartReviewApi.as_view(),
        name="api-credit-application-start-review",
    ),
    path(
        "credit-applications/<id:application_id>/approve/",
        applications.ApplicationApproveApi.as_view(),
        name="api-credit-application-approve",
    ),
    path(
        "credit-applications/<id:application_id>/reject/",
        applications.ApplicationRejectApi.as_view(),
        name="api-credit-application-reject",
    ),
    path(
        "credit-applications/<id:application_id>/request-info/",
        applications.ApplicationRequestInfoApi.as_view(),
        name="api-credit-application-request-info",
    ),
    path("credit-reviews/", reviews.ReviewListApi.as_view(), name="api-credit-review-list"),
    path(
        "credit-reviews/<id:review_id>/",
        reviews.ReviewDetailApi.as_view(),
        name="api-credit-review-detail",
    ),
    path(
        "credit-reviews/<id:review_id>/complete/",
        reviews.ReviewCompleteApi.as_view(),
        name="api-credit-review-complete",
    ),
]
