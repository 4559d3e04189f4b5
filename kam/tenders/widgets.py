"""What tenders add to other pages: the dossier tab, a meeting-brief section, the dashboard widget."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client
from kam.core import dashboard

from . import selectors
from .models import CLOSED_STATUSES, OPEN_STATUSES

WIDGET_ROWS = 8
VIEW = "tenders.view_tenders"


def tenders_tab(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, VIEW, client):
        return {"tenders": []}
    return {
        "tenders": list(selectors.client_tenders(user, client)[:100]),
        "can_add_tender": policy.can(user, "tenders.change_tender", client),
        "now": timezone.now(),
    }


def brief_tenders(client: Any, user: Any) -> dict[str, Any] | None:
    """Open tenders of this customer with their deadlines, and the latest results."""
    if not policy.can(user, VIEW, client):
        return None
    tenders = selectors.visible_tenders(user).filter(client=client).select_related("kam")
    open_ = list(tenders.filter(status__in=OPEN_STATUSES).order_by("deadline", "pk")[:10])
    closed = list(
        tenders.filter(status__in=CLOSED_STATUSES).prefetch_related("lots__winner").order_by("-deadline")[:5]
    )
    if not open_ and not closed:
        return None
    return {
        "template": "tenders/_brief.html",
        "title": _("Tenders"),
        "open": open_,
        "closed": closed,
        "now": timezone.now(),
    }


def dashboard_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    if not policy.can(user, VIEW):
        return None
    soon, soon_count = dashboard.first_rows(selectors.deadlines_soon(user), WIDGET_ROWS)
    return {
        "template": "tenders/_widget.html",
        "soon": soon,
        "soon_count": soon_count,
        "days": selectors.SOON_DAYS,
        "today": timezone.localdate(),
    }
