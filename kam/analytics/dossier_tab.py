"""The "Key account" tab of the client dossier and the dependence alerts of the dashboard."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kam.access.models import Role, User
from kam.clients.models import Client

from . import selectors


def keyness_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    snapshot = selectors.latest_snapshot()
    history = list(selectors.client_history(client))
    current = next((h for h in history if snapshot and h.snapshot_id == snapshot.pk), None)
    scope_rows = list(selectors.client_scope_rows(client, snapshot)) if snapshot else []
    names = selectors.scope_names(scope_rows)
    for row in scope_rows:
        row.scope_label = names.get((row.scope, row.scope_id), f"#{row.scope_id}")  # type: ignore[attr-defined]
    moves: list[str] = []
    if snapshot:
        user: User = request.user  # type: ignore[assignment]
        previous = selectors.previous_snapshot(snapshot)
        moves = selectors.movement(user, snapshot, previous, client_ids=[client.pk]).get(client.pk, [])
    return {
        "snapshot": snapshot,
        "current": current,
        "history": history,
        "scope_rows": scope_rows,
        "moves": moves,
    }


def dependence_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    if user.role not in (Role.DIRECTOR, Role.HEAD):
        return None
    snapshot = selectors.latest_snapshot()
    if snapshot is None:
        return None
    alerts = selectors.dependence_alerts(user, snapshot)
    previous = selectors.previous_snapshot(snapshot)
    counts = selectors.movement_counts(user, snapshot, previous)
    return {
        "template": "analytics/_dependence_widget.html",
        "snapshot": snapshot,
        "alerts": alerts,
        "moves_count": counts.get("total", 0),
        "previous": previous,
    }
