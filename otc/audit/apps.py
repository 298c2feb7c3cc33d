from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "otc.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from otc.tenancy.rls import register_append_only

        register_append_only("audit_auditevent")
