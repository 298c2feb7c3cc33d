from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "otc.ledger"
    label = "ledger"
    verbose_name = "AR ledger"

    def ready(self) -> None:
        from otc.tenancy.rls import register_append_only

        for table in ("ledger_posting", "ledger_postingline", "ledger_application"):
            register_append_only(table)
