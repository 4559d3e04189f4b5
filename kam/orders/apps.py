from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kam.orders"
    label = "orders"

    def ready(self) -> None:
        from kam.core import briefs, dashboard

        from .widgets import brief_section, orders_widget

        briefs.register(35, "orders")(brief_section)
        dashboard.register(orders_widget)
