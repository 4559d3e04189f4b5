from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "kam.planning"
    label = "planning"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kam.core import dashboard

        from . import models
        from .widgets import plan_widget

        # KAM plans keep their own versions (PlanChange); the rest is traced in the audit log.
        auditlog.register(models.Plan)
        auditlog.register(models.DepartmentPlan)
        auditlog.register(models.CommissionRules)
        auditlog.register(models.CommissionTier)
        auditlog.register(models.FulfilmentFactor)
        dashboard.register(plan_widget)
