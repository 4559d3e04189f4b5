from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TendersConfig(AppConfig):
    name = "kam.tenders"
    label = "tenders"
    verbose_name = _("Tenders")

    def ready(self) -> None:
        from kam.clients import dossier
        from kam.core import briefs, dashboard

        from . import widgets

        dossier.TABS["tenders"] = _("Tenders")
        dossier.BUILDERS["tenders"] = widgets.tenders_tab
        briefs.register(70, "tenders")(widgets.brief_tenders)
        dashboard.register(widgets.dashboard_widget)
