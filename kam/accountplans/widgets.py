"""What account plans add to other pages: the dossier tab and the dashboard widget."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client

from . import selectors

WIDGET_ROWS = 5


def dossier_tab(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, "accountplans.view_plan", client):
        return {"plans": [], "can_add_plan": False, "is_key": False}
    plans = list(selectors.client_plans(user, client))
    year = timezone.localdate().year
    current = next((p for p in plans if p.year == year), None)
    return {
        "plans": plans,
        "current_plan": current,
        "current_progress": selectors.plan_progress(current) if current else None,
        "year": year,
        "is_key": selectors.is_key_client(client),
        "can_add_plan": policy.can(user, "accountplans.change_plan", client) and current is None,
    }


def dashboard_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    """For a head or the director: plans awaiting review; for a KAM: plans returned for rework."""
    if not policy.can(user, "accountplans.view_plans"):
        return None
    if policy.can(user, "accountplans.approve_plan"):
        waiting = selectors.awaiting_review(user, figures=False).only(
            "year",
            "submitted_at",
            "client__short_name",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
        )
        rows = list(waiting[:WIDGET_ROWS])
        return {
            "template": "accountplans/_widget.html",
            "mode": "review",
            "rows": rows,
            "count": waiting.count() if len(rows) == WIDGET_ROWS else len(rows),
        }
    returned = selectors.returned_to(user).select_related(None).select_related("client")
    returned = returned.only("year", "review_comment", "client__short_name")
    rows = list(returned[:WIDGET_ROWS])
    if not rows:
        return None
    return {
        "template": "accountplans/_widget.html",
        "mode": "returned",
        "rows": rows,
        "count": returned.count() if len(rows) == WIDGET_ROWS else len(rows),
    }


def brief_section(client: Any, user: Any) -> dict[str, Any] | None:
    """This year's plan for the client: where the targets stand and whom we are working on."""
    if not policy.can(user, "accountplans.view_plan", client):
        return None
    year = timezone.localdate().year
    plan = selectors.visible_plans(user).filter(client=client, year=year).select_related("client").first()
    if plan is None:
        return None
    return {
        "template": "accountplans/_brief.html",
        "title": _("Account plan %(year)s") % {"year": year},
        "plan": plan,
        "progress": selectors.plan_progress(plan),
        "goals": selectors.goal_rows(plan),
    }
