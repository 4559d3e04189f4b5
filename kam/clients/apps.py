from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "kam.clients"
    label = "clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Client, m2m_fields={"tags"})
        auditlog.register(models.Stakeholder)
        auditlog.register(models.Relationship)
        auditlog.register(models.ClientCompetitor)
        auditlog.register(models.FinancialIndicator)
        auditlog.register(models.TeamMember)
        auditlog.register(models.Competitor)
        # Tag (a bare name, created by bulk_create) is not: the client's tags are traced on the client.
        # Figures cut to a department's clients (a head's counts) are keyed on this generation.
        from django.db.models.signals import post_delete, post_save

        post_save.connect(_clients_changed, sender=models.Client, dispatch_uid="kam.clients.changed")
        post_delete.connect(_clients_changed, sender=models.Client, dispatch_uid="kam.clients.deleted")


def _clients_changed(**kwargs: object) -> None:
    from kam.core import cache

    from .models import CLIENTS_GENERATION

    cache.now_and_after_commit(lambda: cache.bump(CLIENTS_GENERATION))
