"""The audit trail: changes are logged by django-auditlog; reads and exports are recorded here."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    forwarded = request.headers.get("X-Forwarded-For")
    return forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")


def record_view(
    user: Any,
    instance: models.Model,
    *,
    request: HttpRequest | None = None,
    what: str = "dossier",
    door: str = "page",
) -> LogEntry:
    """A read of sensitive business data (a dossier, a brief)."""
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=str(instance.pk),
        object_id=instance.pk if isinstance(instance.pk, int) else None,
        object_repr=str(instance)[:200],
        action=LogEntry.Action.ACCESS,
        actor=user if getattr(user, "is_authenticated", False) else None,
        remote_addr=client_address(request),
        additional_data={"kind": "view", "what": what, "door": door},
    )


def record_export(
    user: Any,
    model: type[models.Model],
    *,
    what: str,
    rows: int,
    fmt: str,
    filters: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> LogEntry:
    """An export of a list or report: who took how many rows of what, with which filters."""
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_pk="",
        object_repr=f"{what} ({rows})"[:200],
        action=LogEntry.Action.ACCESS,
        actor=user if getattr(user, "is_authenticated", False) else None,
        remote_addr=client_address(request),
        additional_data={
            "kind": "export",
            "what": what,
            "rows": rows,
            "format": fmt,
            "filters": filters or {},
        },
    )
