"""The "plan this month" card on the Today page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from kam.access import policy
from kam.access.models import User

from . import selectors
from .periods import Period

TEAM_ROWS = 8


def plan_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    if not policy.can(user, "planning.view_plans"):
        return None
    today = timezone.localdate()
    month = Period.containing("month", today)
    card = selectors.plan_card(user, month, today, team_rows=TEAM_ROWS)
    if card is None:
        return None
    day = min(max((today - month.start).days + 1, 0), month.days)
    return {
        "template": "planning/_plan_widget.html",
        "month": month,
        "mine": card.mine,
        "departments": card.departments,
        "behind_count": card.behind_count,
        # The head's team, each KAM's fulfilment against the time gone (the director has many teams).
        "team": card.team,
        "team_more": max(0, card.team_count - len(card.team)) if card.team else 0,
        "day": day,
        "days": month.days,
        "elapsed": Decimal(day) / Decimal(month.days),
        "elapsed_pct": round(day * 100 / month.days),
    }
