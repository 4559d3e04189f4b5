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


def group_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    can_link = policy.can(user, "clients.change_client", client)
    return {
        "tree": selectors.group_tree(user, client),
        "distribution": selectors.distributor_links(client),
        "link_form": LinkForm(
            clients=policy.visible_clients(user).exclude(pk=client.pk).order_by("short_name")
        )
        if can_link
        else None,
    }
