from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kam.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import cache, widgets

        widgets.register_all()
        cache.connect_signals()
