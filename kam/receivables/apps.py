from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "kam.receivables"
    label = "receivables"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.core import briefs, dashboard

        from . import models
        from .widgets import brief_section, overdue_widget

        for model in (
            models.Invoice,
            models.Payment,
            models.PaymentAllocation,
            models.CreditNote,
            models.CollectionAction,
        ):
            auditlog.register(model)

        briefs.register(40, "receivables")(brief_section)
        dashboard.register(overdue_widget)
