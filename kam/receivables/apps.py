from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "kam.receivables"
    label = "receivables"
