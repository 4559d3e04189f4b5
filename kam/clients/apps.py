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
