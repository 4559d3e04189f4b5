from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "kam.receivables"
    label = "receivables"

    def ready(self) -> None:
        from kam.core import briefs, dashboard

        from .widgets import brief_section, overdue_widget

        briefs.register(40, "receivables")(brief_section)
        dashboard.register(overdue_widget)
