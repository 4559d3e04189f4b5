from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kam.activities"
    label = "activities"
    verbose_name = "Activities and schedule"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.clients import dossier
        from kam.core import dashboard

        from . import models
        from .dossier_tab import activities_context, feedback_context, today_widget

        auditlog.register(models.Activity)
        auditlog.register(models.WeeklyPlan)
        auditlog.register(models.Feedback)
        # Issuing a calendar link is traced, never its secret (only the hash is stored, and not logged).
        auditlog.register(models.CalendarFeedToken, exclude_fields=["token_hash"])

        dossier.TABS["activities"] = _("Activities")
        dossier.BUILDERS["activities"] = activities_context
        dossier.TABS["feedback"] = _("Feedback")
        dossier.BUILDERS["feedback"] = feedback_context
        dashboard.register(today_widget)
