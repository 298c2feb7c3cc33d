from django.apps import AppConfig


class CollectionsAppConfig(AppConfig):
    name = "collections_app"
    label = "collections_app"

    def ready(self) -> None:
        from collections_app.dashboard import cash_figures
        from collections_app.dunning.dashboard import collections_figures
        from otc.tenancy.roles import Role
        from otc.web.dashboards import register_dashboard_figures

        for role in (Role.AR_CLERK, Role.OWNER):
            register_dashboard_figures(role, cash_figures)
        for role in (Role.COLLECTOR, Role.OWNER):
            register_dashboard_figures(role, collections_figures)
