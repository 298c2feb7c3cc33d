from django.apps import AppConfig
from django.urls import register_converter


class ApiConfig(AppConfig):
    name = "otc.api"
    label = "api"
    verbose_name = "API platform"

    def ready(self) -> None:
        from otc.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from otc.api.converters import IdConverter

        # `<id:...>` in any URL pattern: ids that fit a bigint, nothing else.
        register_converter(IdConverter, "id")
