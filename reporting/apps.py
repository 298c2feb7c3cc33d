from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    label = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        from otc.tenancy.roles import Role
        from otc.web.dashboards import register_dashboard_panels
        from reporting.dashboard import executive_panels

        for role in (Role.EXECUTIVE,):
            register_dashboard_panels(role, executive_panels)
