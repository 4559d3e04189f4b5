from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "kam.contracts"
    label = "contracts"
