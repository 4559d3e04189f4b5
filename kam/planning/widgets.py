"""The "plan this month" card on the Today page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from kam.access import policy
from kam.access.models import Role, User

from . import selectors
from .periods import Period

TEAM_ROWS = 8


def plan_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    if not policy.can(user, "planning.view_plans"):
        return None
    today = timezone.localdate()
    month = Period.containing("month", today)
    rows = selectors.kam_rows(user, month, today)
    if not rows:
        return None
    departments = selectors.department_rows(user, month, rows, today) if user.role != Role.KAM else []
    day = min(max((today - month.start).days + 1, 0), month.days)
    return {
        "template": "planning/_plan_widget.html",
        "month": month,
        "mine": rows[0] if user.role == Role.KAM else None,
        "departments": departments,
        "behind": [r for r in rows if r.behind_pace] if user.role != Role.KAM else [],
        # The head's team, each KAM's fulfilment against the time gone (the director has many teams).
        "team": rows[:TEAM_ROWS] if user.role == Role.HEAD else [],
        "team_more": max(0, len(rows) - TEAM_ROWS) if user.role == Role.HEAD else 0,
        "day": day,
        "days": month.days,
        "elapsed": Decimal(day) / Decimal(month.days),
        "elapsed_pct": round(day * 100 / month.days),
    }
