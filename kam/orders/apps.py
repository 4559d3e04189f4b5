from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kam.orders"
    label = "orders"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.core import briefs, dashboard

        from . import models
        from .widgets import brief_section, orders_widget

        # Left out: OrderEvent (the order's own status history, written with each traced change) and
        # DeliveryActLine (written with bulk_create together with its traced DeliveryAct).
        for model in (
            models.Product,
            models.ProductPrice,
            models.OrderSettings,
            models.Order,
            models.OrderLine,
            models.DiscountApproval,
            models.OrderReturn,
            models.ReturnLine,
            models.DeliveryAct,
        ):
            auditlog.register(model)

        briefs.register(35, "orders")(brief_section)
        dashboard.register(orders_widget)
