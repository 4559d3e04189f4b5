"""Dashboard widgets: each app may register a function that returns a widget dict or None.

A widget is a dict with `template` (a card rendered with `widget` in its context) and, optionally:

* `order` — where it stands on the page, lower first (default: the role's layout below, else 500);
* `wide` — True to take the full width of the page.

Builders return None when the widget means nothing to the user (no permission). A builder that
fails does not take the Today page down with it: the error is logged and a short notice is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest

logger = logging.getLogger(__name__)

Widget = dict[str, Any]
Builder = Callable[[HttpRequest, Any], Widget | None]
_REGISTRY: list[Builder] = []

# The order of the known widgets on each role's Today page: what needs action first.
# Widgets of later apps that set no `order` come after these, in registration order.
LAYOUT: dict[str, dict[str, int]] = {
    "kam": {
        "activities/_today_widget.html": 10,
        "orders/_widget.html": 20,
        "pipeline/_widget.html": 25,
        "proposals/_widget.html": 28,
        "receivables/_widget.html": 30,
        "contracts/_widget.html": 40,
        "tenders/_widget.html": 45,
        "planning/_plan_widget.html": 50,
        "accountplans/_widget.html": 60,
        "health/_widget.html": 65,
    },
    "head": {
        "orders/_widget.html": 10,
        "proposals/_widget.html": 12,
        "accountplans/_widget.html": 15,  # plans waiting for the head's review: an approval too
        "analytics/_dependence_widget.html": 20,
        "health/_widget.html": 25,
        "planning/_plan_widget.html": 30,
        "core/widgets/punctuality.html": 40,
        "receivables/_widget.html": 50,
        "contracts/_widget.html": 60,
        "pipeline/_widget.html": 65,
        "activities/_today_widget.html": 70,
        "tenders/_widget.html": 75,
    },
    "director": {
        "core/widgets/concentration.html": 10,
        "core/widgets/movement.html": 20,
        "planning/_plan_widget.html": 30,
        "core/widgets/aging.html": 40,
        "analytics/_dependence_widget.html": 50,
        "health/_widget.html": 55,
        "orders/_widget.html": 60,
        "accountplans/_widget.html": 65,
        "receivables/_widget.html": 70,
        "core/widgets/punctuality.html": 80,
        "contracts/_widget.html": 90,
        "tenders/_widget.html": 95,
        "activities/_today_widget.html": 100,
    },
    "finance": {
        "receivables/_widget.html": 10,
        "core/widgets/aging.html": 20,
    },
    "support": {
        "orders/_widget.html": 10,
    },
}
LATER = 500
FAILED_TEMPLATE = "core/widgets/failed.html"


def first_rows(queryset: Any, limit: int) -> tuple[list[Any], int]:
    """The first `limit` rows of a widget's list and how many there are in all.

    The count costs a query only when the list is full: most widgets show fewer rows than their limit,
    and the Today page builds a dozen of them on every visit.
    """
    rows = list(queryset[:limit])
    return rows, (len(rows) if len(rows) < limit else queryset.count())


def register(builder: Builder) -> Builder:
    if builder not in _REGISTRY:
        _REGISTRY.append(builder)
    return builder


def _build(builder: Builder, request: HttpRequest, user: Any) -> Widget | None:
    try:
        if connection.in_atomic_block:  # a failed query must not poison the rest (PostgreSQL)
            with transaction.atomic():
                return builder(request, user)
        return builder(request, user)
    except Exception:  # one broken widget must not take the whole page down
        logger.exception("Dashboard widget %s failed", getattr(builder, "__qualname__", builder))
        return {"template": FAILED_TEMPLATE, "order": LATER * 2}


def widgets_for(request: HttpRequest, user: Any) -> list[Widget]:
    """The widgets this user sees, in the order of the role's layout."""
    layout = LAYOUT.get(str(getattr(user, "role", "")), {})
    built = [w for w in (_build(b, request, user) for b in _REGISTRY) if w]
    for position, widget in enumerate(built):
        widget.setdefault("order", layout.get(widget["template"], LATER))
        widget["_position"] = position
    return sorted(built, key=lambda w: (w["order"], w["_position"]))
