from django.apps import AppConfig


class DeductionsConfig(AppConfig):
    name = "deductions"
    label = "deductions"
