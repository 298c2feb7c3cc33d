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

        from reporting.role_dashboards import (
            ar_clerk_panels,
            collector_panels,
            credit_panels,
            deduction_panels,
        )

        for role in (Role.CREDIT_MANAGER, Role.CREDIT_ANALYST):
            register_dashboard_panels(role, credit_panels)
        register_dashboard_panels(Role.COLLECTOR, collector_panels)
        register_dashboard_panels(Role.AR_CLERK, ar_clerk_panels)
        register_dashboard_panels(Role.DEDUCTIONS_ANALYST, deduction_panels)
