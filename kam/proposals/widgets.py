"""What proposals add to other pages: the dossier tab and the meeting-brief section."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client

from . import selectors

TAB_ROWS = 50


def proposals_tab(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, "proposals.view_proposals", client):
        return {"proposals": []}
    found = list(selectors.proposals_for_user(user, client_id=client.pk)[: TAB_ROWS + 1])
    return {
        "proposals": found[:TAB_ROWS],
        "more": len(found) > TAB_ROWS,
        "can_add_proposal": policy.can(user, "proposals.change_proposal", client),
    }


def brief_proposals(client: Any, user: Any) -> dict[str, Any] | None:
    """The client's open proposals (drafts and sent ones waiting for an answer)."""
    if not policy.can(user, "proposals.view_proposals", client):
        return None
    proposals = list(selectors.open_proposals(user, client.pk).order_by("valid_until", "id")[:20])
    if not proposals:
        return None
    return {
        "template": "proposals/_brief.html",
        "title": _("Open commercial proposals"),
        "proposals": proposals,
        "today": timezone.localdate(),
    }


def opportunity_proposals(user: User, opportunity: Any) -> list[Any]:
    """Proposals linked to a pipeline opportunity (for its page)."""
    return list(selectors.proposals_for_user(user).filter(opportunity=opportunity)[:20])
