from django.apps import AppConfig


class DeductionsConfig(AppConfig):
    name = "deductions"
    label = "deductions"
    verbose_name = "Deductions and disputes"

    def ready(self) -> None:
        from deductions.dashboard import deduction_figures
        from otc.tenancy.roles import Role
        from otc.web.dashboards import register_dashboard_figures

        for role in (Role.DEDUCTIONS_ANALYST, Role.CREDIT_MANAGER, Role.OWNER):
            register_dashboard_figures(role, deduction_figures)
