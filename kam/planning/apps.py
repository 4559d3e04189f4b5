from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "kam.planning"
    label = "planning"

    def ready(self) -> None:
        from kam.core import dashboard

        from .widgets import plan_widget

        dashboard.register(plan_widget)
