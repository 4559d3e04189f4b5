from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountPlansConfig(AppConfig):
    name = "kam.accountplans"
    label = "accountplans"
    verbose_name = _("Account plans")

    def ready(self) -> None:
        from kam.clients import dossier
        from kam.core import briefs, dashboard

        from . import widgets

        dossier.TABS["accountplan"] = _("Account plan")
        dossier.BUILDERS["accountplan"] = widgets.dossier_tab
        dashboard.register(widgets.dashboard_widget)
        briefs.register(45, "accountplan")(widgets.brief_section)
