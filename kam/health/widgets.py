"""What account health adds to other pages: the dossier tab, the meeting-brief section, the dashboard."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client
from kam.core import dashboard

from . import presentation, selectors

WIDGET_ROWS = 8
ALERT_DAYS = 30


def client_health_context(user: User, client: Client) -> dict[str, Any]:
    """The components, the history and the warnings of one client (shared by the tab and the page)."""
    latest = selectors.latest_for(client)
    history = selectors.client_history(client)
    return {
        "health": latest,
        "health_rows": presentation.component_rows(latest),
        "health_spark": presentation.sparkline(history),
        "health_history": list(reversed(history))[:30],
        "health_alerts": list(selectors.recent_alerts(user, days=365, client=client)[:20]),
        "can_compute_client": policy.can(user, "health.compute_client", client),
        "can_add_feedback": policy.can(user, "activities.add_feedback", client),
    }


def health_tab(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, "health.view_client", client):
        return {"health": None, "health_rows": [], "health_denied": True}
    return client_health_context(user, client)


def brief_health(client: Any, user: Any) -> dict[str, Any] | None:
    if not policy.can(user, "health.view_client", client):
        return None
    latest = selectors.latest_for(client)
    if latest is None:
        return None
    rows = presentation.component_rows(latest)
    return {
        "template": "health/_brief.html",
        "title": _("Account health"),
        "health": latest,
        "weak": [r for r in rows if r["status"] != "good"],
        "alerts": list(selectors.recent_alerts(user, days=ALERT_DAYS, client=client)[:5]),
    }


def dashboard_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    """Early warnings for the KAM's and the head's (and the director's) key clients."""
    if not policy.can(user, "health.view_health"):
        return None
    # The card shows the day, kind, scores and the client's name: the rest of both rows stays unread.
    alerts_shown = (
        selectors.recent_alerts(user, days=ALERT_DAYS)
        .select_related(None)
        .select_related("client")
        .only("day", "kind", "score", "previous_score", "client_id", "client__short_name")
    )
    alerts, alerts_count = dashboard.first_rows(alerts_shown, WIDGET_ROWS)
    return {
        "template": "health/_widget.html",
        "alerts": alerts,
        "alerts_count": alerts_count,
        "days": ALERT_DAYS,
    }
