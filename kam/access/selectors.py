from __future__ import annotations

from datetime import date, datetime, time, timedelta

from auditlog.models import LogEntry
from django.db.models import QuerySet
from django.utils import timezone

from .models import Deputy, Role, User


def deputies_visible_to(user: User) -> QuerySet[Deputy]:
    qs = Deputy.objects.select_related("absent", "deputy", "created_by")
    if user.role == Role.DIRECTOR:
        return qs
    if user.role == Role.HEAD:
        return qs.filter(absent__department=user.department)
    return qs.filter(deputy=user) | qs.filter(absent=user)


def audit_entries(
    *,
    actor_id: int | None = None,
    action: int | None = None,
    kind: str = "",
    model: str = "",
    since: date | None = None,
    until: date | None = None,
    search: str = "",
) -> QuerySet[LogEntry]:
    qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if action is not None:
        qs = qs.filter(action=action)
    if kind:
        qs = qs.filter(additional_data__kind=kind)
    if model:
        qs = qs.filter(content_type__model=model)
    tz = timezone.get_current_timezone()
    if since:
        qs = qs.filter(timestamp__gte=datetime.combine(since, time.min, tz))
    if until:
        qs = qs.filter(timestamp__lt=datetime.combine(until, time.min, tz) + timedelta(days=1))
    if search:
        qs = qs.filter(object_repr__icontains=search)
    return qs


def business_users() -> QuerySet[User]:
    return User.objects.exclude(role=Role.NONE).select_related("department")
