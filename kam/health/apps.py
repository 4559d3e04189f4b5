from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "kam.health"
    label = "health"
    verbose_name = _("Account health")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.clients import dossier
        from kam.core import briefs, dashboard

        from . import models, widgets

        # Only the settings: snapshots, alerts and runs are computed every night in bulk.
        auditlog.register(models.HealthConfig)

        dossier.TABS["health"] = _("Health")
        dossier.BUILDERS["health"] = widgets.health_tab
        briefs.register(70, "health")(widgets.brief_health)
        dashboard.register(widgets.dashboard_widget)
