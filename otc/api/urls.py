from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from otc.api import key_views

app_name = "api"

# The schema and its docs page are public (the API is open source) and need
# no key, so an integrator can read them before holding one.
_public = {"authentication_classes": [], "permission_classes": [AllowAny], "throttle_classes": []}

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(**_public), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", **_public),
        name="docs",
    ),
    path("api-keys/", key_views.ApiKeyListApi.as_view(), name="api-key-list"),
    path(
        "api-keys/<id:api_key_id>/",
        key_views.ApiKeyDetailApi.as_view(),
        name="api-key-detail",
    ),
    path(
        "api-keys/<id:api_key_id>/revoke/",
        key_views.ApiKeyRevokeApi.as_view(),
        name="api-key-revoke",
    ),
]
