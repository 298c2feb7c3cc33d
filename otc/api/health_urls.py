from django.urls import path

from otc.api.views import healthz

urlpatterns = [path("healthz", healthz, name="healthz")]
