from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "kam.access"
    label = "access"
    verbose_name = "People and access"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models, policy  # noqa: F401  (registers the permission rules)

        auditlog.register(models.User, exclude_fields=["password", "last_login"])
        auditlog.register(models.Deputy)
        auditlog.register(models.Department)
