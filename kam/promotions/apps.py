from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "kam.promotions"
    label = "promotions"
    verbose_name = _("Promotions and bonus programmes")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        # Participant is left out: participants are added in bulk by one INSERT … SELECT (no signals);
        # the promotion itself is traced.
        auditlog.register(models.Promotion)
