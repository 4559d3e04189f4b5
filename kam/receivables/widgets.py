"""What receivables contribute to other pages: the meeting-brief section and the dashboard widget."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import Role

from . import selectors

VIEW = "receivables.view_receivables"
WIDGET_ROWS = 5


def brief_section(client: Any, user: Any) -> dict[str, Any] | None:
    """Open and overdue debt, the oldest overdue invoice and the latest promise to pay."""
    if not policy.can(user, VIEW, client):
        return None
    today = timezone.localdate()
    figures = selectors.client_figures(user, on=today, client_ids=[client.pk]).get(client.pk, {})
    oldest = figures.get("oldest_due_on")
    return {
        "template": "receivables/_brief.html",
        "title": _("Debt and payments"),
        "client": client,
        "open": figures.get("open", selectors.ZERO),
        "overdue": figures.get("overdue", selectors.ZERO),
        "days_overdue": (today - oldest).days if oldest else 0,
        "advance": selectors.client_advance(client.pk),
        "promise": selectors.latest_promise(client.pk, on=today),
        "score": selectors.credit_score(client.pk, on=today),
        "last_payment_on": selectors.last_payment_on(client.pk),
    }


def overdue_widget(request: HttpRequest, user: Any) -> dict[str, Any] | None:
    """Finance, director, heads and KAMs: overdue debt of the clients they see, largest first."""
    if not policy.can(user, VIEW):
        return None
    today = timezone.localdate()
    rows = selectors.collection_worklist(user, on=today)
    return {
        "template": "receivables/_widget.html",
        "rows": rows[:WIDGET_ROWS],
        "more": max(0, len(rows) - WIDGET_ROWS),
        "total_overdue": sum((r.overdue for r in rows), selectors.ZERO),
        "broken": sum(1 for r in rows if r.promise_broken),
        "own": user.role == Role.KAM,
    }
