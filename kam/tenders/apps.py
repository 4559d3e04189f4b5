from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TendersConfig(AppConfig):
    name = "kam.tenders"
    label = "tenders"
    verbose_name = _("Tenders")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.clients import dossier
        from kam.core import briefs, dashboard

        from . import models, widgets

        auditlog.register(models.Tender)
        auditlog.register(models.Lot)
        auditlog.register(models.LotItem)
        # Issuing a calendar link is traced, never its secret (only the hash is stored, and not logged).
        auditlog.register(models.TenderFeedToken, exclude_fields=["token_hash"])

        dossier.TABS["tenders"] = _("Tenders")
        dossier.BUILDERS["tenders"] = widgets.tenders_tab
        briefs.register(70, "tenders")(widgets.brief_tenders)
        dashboard.register(widgets.dashboard_widget)
