from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "kam.proposals"
    label = "proposals"
    verbose_name = _("Commercial proposals")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.clients import dossier
        from kam.core import briefs

        from . import models, widgets

        for model in (
            models.Proposal,
            models.ProposalVersion,
            models.ProposalLine,
            models.ProposalTemplate,
            models.Letterhead,
        ):
            auditlog.register(model)

        dossier.TABS["proposals"] = _("Proposals")
        dossier.BUILDERS["proposals"] = widgets.proposals_tab
        briefs.register(55, "proposals")(widgets.brief_proposals)
