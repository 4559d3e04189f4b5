from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "kam.analytics"
    label = "analytics"
    verbose_name = "Key-account analysis"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.clients import dossier
        from kam.core import dashboard

        from . import models
        from .dossier_tab import dependence_widget, keyness_context

        # Only the company's thresholds and settings: snapshots and their client and scope rows are
        # computed tables written with bulk_create.
        auditlog.register(models.AnalysisConfig)

        dossier.TABS["keyness"] = _("Key account")
        dossier.BUILDERS["keyness"] = keyness_context
        dashboard.register(dependence_widget)
