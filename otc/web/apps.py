from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "otc.web"
    label = "web"
