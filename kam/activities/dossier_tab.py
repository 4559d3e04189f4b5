"""The "Activities" and "Feedback" tabs of the client dossier."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Client

from . import selectors
from .forms import FeedbackForm


def activities_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    return {
        "activities": selectors.client_activities(user, client),
        "can_plan": policy.can(user, "activities.plan_activity", client),
    }


def feedback_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    items, trend = selectors.feedback_trend(client)
    points = []
    if trend:
        step = 600 / max(len(trend) - 1, 1)
        for i, m in enumerate(trend):
            points.append((round(i * step + 20), round(110 - float(m.average) * 20), m))
    return {
        "feedback_items": items,
        "trend": trend,
        "trend_points": points,
        "trend_polyline": " ".join(f"{x},{y}" for x, y, _m in points),
        "can_add_feedback": policy.can(user, "activities.add_feedback", client),
        "feedback_form": FeedbackForm(),
    }


def today_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    """The home page: today's activities of the user, with the "started" button close at hand."""
    if not policy.can(user, "activities.view_schedule"):
        return None
    today = timezone.localdate()
    return {
        "template": "activities/_today_widget.html",
        "activities": selectors.schedule_of(user, user, today, 1),
        "due_count": selectors.count_clients_due_for_visit(user, user, limit=100)
        if user.role == Role.KAM
        else None,
    }
