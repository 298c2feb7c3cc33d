from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "otc.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from otc.tenancy.rls import grant_application_role

        # Infrastructure, not domain logic: after every migrate, give the
        # application role its privileges on whatever tables now exist.
        post_migrate.connect(grant_application_role, sender=self)
