from datetime import datetime, timedelta

from django.utils import timezone

from kam.activities import services
from kam.activities.models import Activity


def at(day_offset: int = 1, hour: int = 10, minute: int = 0) -> datetime:
    base = timezone.localtime() + timedelta(days=day_offset)
    return base.replace(hour=hour, minute=minute, second=0, microsecond=0)


def plan(user, client, *, kind="visit", start=None, minutes=60, **extra) -> Activity:
    start = start or at()
    return services.activity_create(
        user=user,
        client=client,
        kind=kind,
        planned_start=start,
        planned_end=start + timedelta(minutes=minutes),
        place=extra.pop("place", "Office"),
        goal=extra.pop("goal", "Discuss the spring order"),
        **extra,
    )
