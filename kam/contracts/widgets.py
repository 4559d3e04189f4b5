"""What contracts and claims add to other pages: dossier tabs, meeting-brief sections, dashboard widget."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client
from kam.core import dashboard

from . import selectors

WIDGET_ROWS = 5
DUE_SOON_DAYS = 7
OBLIGATION_ROWS = 50  # read at once for the card (at least WIDGET_ROWS): usually all overdue or due this week


def contracts_tab(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, "contracts.view_contracts", client):
        return {"contracts": [], "obligations": [], "today": timezone.localdate()}
    return {
        "contracts": list(selectors.client_contracts(user, client)),
        "obligations": list(selectors.open_obligations(user).filter(contract__client=client)[:50]),
        "can_add_contract": policy.can(user, "contracts.change_contract", client),
        "today": timezone.localdate(),
    }


def claims_tab(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, "contracts.view_claims", client):
        return {"claims": []}
    return {
        "claims": list(selectors.claim_list(user, client_id=client.pk)[:100]),
        "can_add_claim": policy.can(user, "contracts.change_claim", client),
    }


def brief_contracts(client: Any, user: Any) -> dict[str, Any] | None:
    """Contract obligations due in the next 14 days or overdue, and renewals due, for this client."""
    if not policy.can(user, "contracts.view_contracts", client):
        return None
    today = timezone.localdate()
    return {
        "template": "contracts/_brief_obligations.html",
        "title": _("Contract obligations due"),
        "today": today,
        "obligations": list(
            selectors.obligations_due(user, today=today).filter(contract__client=client)[:30]
        ),
        "renewals": list(selectors.renewals_due(user, today=today).filter(client=client)),
    }


def brief_claims(client: Any, user: Any) -> dict[str, Any] | None:
    if not policy.can(user, "contracts.view_claims", client):
        return None
    return {
        "template": "contracts/_brief_claims.html",
        "title": _("Open claims"),
        "claims": list(selectors.open_claims(user, client)[:30]),
    }


def _obligation_rows(clauses: QuerySet[Any]) -> QuerySet[Any]:
    """What the card shows of an obligation: due date, text, contract number and client name."""
    return (
        clauses.select_related(None)
        .select_related("contract__client")
        .only("due_on", "text", "contract__number", "contract__client__short_name")
    )


def obligation_lists(user: User, today: date) -> tuple[list[Any], int, list[Any], int]:
    """The card's overdue and due-soon obligations (the first WIDGET_ROWS of each) and how many of each.

    Both from one read of up to OBLIGATION_ROWS, overdue ones first; only a user with more open
    obligations than that pays for the counts (and the due-soon rows) as separate queries.
    """
    obligations = _obligation_rows(selectors.obligations_due(user, today=today, days=DUE_SOON_DAYS))
    read = list(obligations[:OBLIGATION_ROWS])
    overdue = [o for o in read if o.due_on < today]
    due_soon = [o for o in read if o.due_on >= today]
    if len(read) < OBLIGATION_ROWS:
        return overdue[:WIDGET_ROWS], len(overdue), due_soon[:WIDGET_ROWS], len(due_soon)
    soon = obligations.filter(due_on__gte=today)
    # A due-soon row among those read means every overdue one was read before it.
    overdue_count = len(overdue) if due_soon else obligations.filter(due_on__lt=today).count()
    if len(due_soon) < WIDGET_ROWS:
        due_soon = list(soon[:WIDGET_ROWS])
    return overdue[:WIDGET_ROWS], overdue_count, due_soon[:WIDGET_ROWS], soon.count()


def dashboard_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    if not policy.can(user, "contracts.view_contracts"):
        return None
    today = timezone.localdate()
    renewals = (
        selectors.renewals_due(user, today=today)
        .select_related(None)
        .select_related("client")
        .only("number", "ends_on", "client__short_name")
    )
    overdue_rows, overdue_count, due_soon_rows, due_soon_count = obligation_lists(user, today)
    renewal_rows, renewals_count = dashboard.first_rows(renewals, WIDGET_ROWS)
    return {
        "template": "contracts/_widget.html",
        "overdue": overdue_rows,
        "overdue_count": overdue_count,
        "due_soon": due_soon_rows,
        "due_soon_count": due_soon_count,
        "due_soon_days": DUE_SOON_DAYS,
        "today": today,
        "renewals": renewal_rows,
        "renewals_count": renewals_count,
    }
