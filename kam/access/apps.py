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
        # Issuing and revoking an API token is traced; the key hash and the last-use stamp are not.
        auditlog.register(models.ApiToken, exclude_fields=["key_hash", "last_used_at"])
