from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "credit"
    label = "credit"
    verbose_name = "Credit management"

    def ready(self) -> None:
        from credit.dashboard import credit_figures
        from otc.tenancy.rls import register_append_only
        from otc.tenancy.roles import Role
        from otc.web.dashboards import register_dashboard_figures

        for role in (Role.CREDIT_MANAGER, Role.CREDIT_ANALYST, Role.OWNER):
            register_dashboard_figures(role, credit_figures)

        for table in ("credit_creditlimitchange", "credit_orderevent", "credit_creditscore"):
            register_append_only(table)
