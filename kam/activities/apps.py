from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kam.activities"
    label = "activities"
    verbose_name = "Activities and schedule"

    def ready(self) -> None:
        from kam.clients import dossier
        from kam.core import dashboard

        from .dossier_tab import activities_context, feedback_context, today_widget

        dossier.TABS["activities"] = _("Activities")
        dossier.BUILDERS["activities"] = activities_context
        dossier.TABS["feedback"] = _("Feedback")
        dossier.BUILDERS["feedback"] = feedback_context
        dashboard.register(today_widget)
