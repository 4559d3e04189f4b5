"""What each tab of the client dossier shows. Views stay thin: one function per tab builds its context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Client

TABS: dict[str, Any] = {
    "overview": _("Overview"),
    "financials": _("Financials"),
    "needs": _("Needs and plans"),
    "stakeholders": _("Stakeholders"),
    "map": _("Relationship map"),
    "competitors": _("Competitors"),
}


def tab_labels() -> list[tuple[str, Any]]:
    return list(TABS.items())


def _overview(request: HttpRequest, client: Client) -> dict[str, Any]:
    return {
        "team": client.team.select_related("user"),
        "tags": client.tags.all(),
        "stakeholder_count": client.stakeholders.count(),
        "top_stakeholders": client.stakeholders.all()[:5],
    }


def _empty(request: HttpRequest, client: Client) -> dict[str, Any]:
    return {}


BUILDERS: dict[str, Callable[[HttpRequest, Client], dict[str, Any]]] = {"overview": _overview}


def tab_context(tab: str, request: HttpRequest, client: Client) -> dict[str, Any]:
    return BUILDERS.get(tab, _empty)(request, client)
