from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kam.orders"
    label = "orders"
