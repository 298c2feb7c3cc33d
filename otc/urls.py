"""Every URL of OTC. Apps own their patterns; this file only mounts them."""

from django.urls import include, path

from otc.api.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("otc.api.urls")),
    path("accounts/", include("otc.accounts.urls")),
    path("customers/", include("otc.customers.urls")),
    path("audit/", include("otc.audit.urls")),
    path("", include("otc.web.urls")),
]
