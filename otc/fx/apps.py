from django.apps import AppConfig


class FxConfig(AppConfig):
    name = "otc.fx"
    label = "fx"
