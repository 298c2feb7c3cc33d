from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    label = "invoicing"

    def ready(self) -> None:
        from invoicing.dashboard import invoicing_figures
        from otc.tenancy.roles import Role
        from otc.web.dashboards import register_dashboard_figures

        for role in (Role.AR_CLERK, Role.OWNER):
            register_dashboard_figures(role, invoicing_figures)
