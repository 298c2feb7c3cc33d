from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "otc.api"
    label = "api"
