from django.urls import path

from otc.api.health import healthz

urlpatterns = [path("healthz", healthz, name="healthz")]
