from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "kam.contracts"
    label = "contracts"
    verbose_name = "Contracts and claims"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.clients import dossier
        from kam.core import briefs, dashboard

        from . import models, widgets

        # ReminderSent is left out: the reminder command's own once-a-day mark, not business data.
        auditlog.register(models.Contract)
        auditlog.register(models.Clause)
        auditlog.register(models.Claim)

        dossier.TABS["contracts"] = _("Contracts")
        dossier.BUILDERS["contracts"] = widgets.contracts_tab
        dossier.TABS["claims"] = _("Claims")
        dossier.BUILDERS["claims"] = widgets.claims_tab
        briefs.register(60, "contracts")(widgets.brief_contracts)
        briefs.register(80, "claims")(widgets.brief_claims)
        dashboard.register(widgets.dashboard_widget)
