from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountPlansConfig(AppConfig):
    name = "kam.accountplans"
    label = "accountplans"
    verbose_name = _("Account plans")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.clients import dossier
        from kam.core import briefs, dashboard

        from . import models, widgets

        # PlanVersion is left out: a frozen copy of the plan written at submission, never edited.
        for model in (
            models.AccountPlan,
            models.Objective,
            models.SwotItem,
            models.StakeholderGoal,
            models.PlanAction,
        ):
            auditlog.register(model)

        dossier.TABS["accountplan"] = _("Account plan")
        dossier.BUILDERS["accountplan"] = widgets.dossier_tab
        dashboard.register(widgets.dashboard_widget)
        briefs.register(45, "accountplan")(widgets.brief_section)
