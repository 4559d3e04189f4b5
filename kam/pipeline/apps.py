from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "kam.pipeline"
    label = "pipeline"
    verbose_name = _("Opportunity pipeline")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.clients import dossier

        from . import models
        from .dossier_tab import group_context, opportunities_context

        # StageChange is left out: the opportunity's own stage history, written with each traced move.
        auditlog.register(models.Opportunity)
        auditlog.register(models.ClientLink)

        dossier.TABS["opportunities"] = _("Opportunities")
        dossier.BUILDERS["opportunities"] = opportunities_context
        dossier.TABS["group"] = _("Group")
        dossier.BUILDERS["group"] = group_context
        from kam.core import dashboard

        from .views import dashboard_widget

        dashboard.register(dashboard_widget)
