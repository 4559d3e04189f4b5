"""The "Opportunities" and "Group" tabs of the client dossier."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client

from . import selectors
from .forms import LinkForm


def opportunities_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    rows = list(client.opportunities.select_related("owner").order_by("status", "expected_on", "pk"))
    return {
        "opportunities": rows,
        "can_add_opportunity": policy.can(user, "pipeline.change_opportunity", client),
    }


def _group_share(client: Client) -> selectors.GroupShare | None:
    """The group's combined figures in the latest analysis: every part shows them."""
    from kam.analytics.selectors import latest_snapshot

    snapshot = latest_snapshot()
    if snapshot is None:
        return None
    return next((g for g in selectors.group_shares(snapshot) if client in g.members), None)


def group_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    can_link = policy.can(user, "clients.change_client", client)
    tree = selectors.group_tree(user, client)
    return {
        "tree": tree,
        "group_share": _group_share(client) if tree else None,
        "distribution": selectors.distributor_links(client),
        "link_form": LinkForm(
            clients=policy.visible_clients(user).exclude(pk=client.pk).order_by("short_name")
        )
        if can_link
        else None,
    }
