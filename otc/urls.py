"""Every URL of OTC. Apps own their patterns; this file only mounts them."""

from django.urls import include, path

urlpatterns = [
    path("", include("otc.api.health_urls")),
    # REST API for ERP systems: each app mounts its resources under /api/v1/.
    path("api/v1/", include("otc.api.urls")),
    path("api/v1/", include("otc.customers.api.urls")),
    path("api/v1/", include("otc.ledger.api.urls")),
    path("api/v1/", include("otc.fx.api.urls")),
    path("api/v1/", include("credit.api.urls")),
    path("api/v1/", include("invoicing.api.urls")),
    path("api/v1/", include("collections_app.api.urls")),
    path("api/v1/", include("deductions.api.urls")),
    path("api/v1/", include("reporting.api.urls")),
    # HTML for people.
    path("accounts/", include("otc.accounts.urls")),
    path("customers/", include("otc.customers.urls")),
    path("credit/", include("credit.urls")),
    path("invoices/", include("invoicing.urls")),
    path("ledger/", include("otc.ledger.urls")),
    path("cash/", include("collections_app.urls")),
    path("collections/", include("collections_app.dunning.urls")),
    path("deductions/", include("deductions.urls")),
    path("fx/", include("otc.fx.urls")),
    path("audit/", include("otc.audit.urls")),
    path("reports/", include("reporting.urls")),
    path("settings/api-keys/", include("otc.api.web_urls")),
    path("", include("otc.web.urls")),
]
