from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "otc.customers"
    label = "customers"
