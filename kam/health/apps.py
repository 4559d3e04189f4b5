from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "kam.health"
    label = "health"
    verbose_name = _("Account health")

    def ready(self) -> None:
        from kam.clients import dossier
        from kam.core import briefs, dashboard

        from . import widgets

        dossier.TABS["health"] = _("Health")
        dossier.BUILDERS["health"] = widgets.health_tab
        briefs.register(70, "health")(widgets.brief_health)
        dashboard.register(widgets.dashboard_widget)
