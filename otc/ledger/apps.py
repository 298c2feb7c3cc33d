from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "otc.ledger"
    label = "ledger"
