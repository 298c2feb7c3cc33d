from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "otc.accounts"
    label = "accounts"
    verbose_name = "Accounts"
