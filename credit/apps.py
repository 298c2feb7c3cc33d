from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "credit"
    label = "credit"
    verbose_name = "Credit management"

    def ready(self) -> None:
        from otc.tenancy.rls import register_append_only

        for table in ("credit_creditlimitchange", "credit_orderevent", "credit_creditscore"):
            register_append_only(table)
