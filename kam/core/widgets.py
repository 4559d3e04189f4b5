"""Today-page widgets that draw on several apps: the director's concentration, key-account movement
and receivables by aging bucket, and the head's punctuality. Rules stay in the apps' selectors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import Role, User
from kam.core.cache import cached
from kam.core.money import format_number

MOVES_SHOWN = 8
PUNCTUALITY_DAYS = 7
LATE_SHOWN = 5


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def concentration_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    """Director: how much of the business hangs on the largest clients, and the change since the last run."""
    if user.role != Role.DIRECTOR or not policy.can(user, "analytics.view_concentration"):
        return None
    from kam.analytics import selectors

    snapshot = selectors.latest_snapshot()
    widget: dict[str, Any] = {"template": "core/widgets/concentration.html", "snapshot": snapshot}
    if snapshot is None:
        return widget
    previous = selectors.previous_snapshot(snapshot)
    now, before = snapshot.concentration or {}, (previous.concentration if previous else {}) or {}
    figures = []
    for key, label, is_share in (
        ("top1_share", "top1", True),
        ("top5_share", "top5", True),
        ("top10_share", "top10", True),
        ("hhi", "hhi", False),
    ):
        value, old = _decimal(now.get(key)), _decimal(before.get(key))
        delta = value - old if value is not None and old is not None else None
        text = ""
        if delta is not None:
            text = (
                _("%(n)s pp") % {"n": format_number(abs(delta) * 100, 1)}
                if is_share
                else format_number(abs(delta), 0)
            )
        figures.append(
            {"key": label, "value": value, "delta": delta, "delta_text": text, "is_share": is_share}
        )
    hhi = _decimal(now.get("hhi"))
    widget.update(
        previous=previous,
        figures=figures,
        level=None if hhi is None else ("high" if hhi > 2500 else "moderate" if hhi >= 1500 else "low"),
    )
    return widget


def _moved_rows(snapshot: Any, previous: Any, moves: dict[int, list[str]]) -> list[Any]:
    """The first MOVES_SHOWN moved clients by rank; those that left the analysis from the previous run."""
    from kam.analytics.models import SnapshotClient

    shown = (
        list(
            SnapshotClient.objects.filter(snapshot=snapshot, client_id__in=list(moves))
            .select_related("client")
            .order_by("rank")[:MOVES_SHOWN]
        )
        if moves
        else []
    )
    # Clients that left the analysis altogether (no row now) are named from the previous run.
    missing = MOVES_SHOWN - len(shown)
    if missing > 0 and previous is not None and moves:
        present = {r.client_id for r in shown}
        gone_ids = [cid for cid in moves if cid not in present]
        if gone_ids:
            shown += list(
                SnapshotClient.objects.filter(snapshot=previous, client_id__in=gone_ids)
                .exclude(client_id__in=SnapshotClient.objects.filter(snapshot=snapshot).values("client_id"))
                .select_related("client")
                .order_by("rank")[:missing]
            )
    return shown


def movement_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    """Director: key accounts that moved since the previous analysis (became key, left A, critical...)."""
    if user.role != Role.DIRECTOR or not policy.can(user, "analytics.view_report"):
        return None
    from kam.analytics import selectors
    from kam.analytics.models import SnapshotClient
    from kam.analytics.templatetags.keyness import move_badges

    snapshot = selectors.latest_snapshot()
    widget: dict[str, Any] = {"template": "core/widgets/movement.html", "snapshot": snapshot}
    if snapshot is None:
        return widget
    previous = selectors.previous_snapshot(snapshot)
    counts = selectors.movement_counts(user, snapshot, previous)
    total = counts.get("total", 0)
    if total and previous is not None and policy.client_scope(user) is None:
        # Which rows to show, and their moves, depend on the two snapshots only (the user sees every
        # client): cached, as picking them filters thousands of moved ids at 100,000 clients.
        def pick() -> list[tuple[int, list[str]]]:
            moves = selectors.movement(user, snapshot, previous)
            return [(r.pk, moves.get(r.client_id, [])) for r in _moved_rows(snapshot, previous, moves)]

        picked = cached(("core.movement_widget.rows", snapshot.pk, previous.pk, MOVES_SHOWN), pick)
        by_id = SnapshotClient.objects.select_related("client").in_bulk([pk for pk, _ in picked])
        rows = [(by_id[pk], found) for pk, found in picked if pk in by_id]
    else:
        moves = selectors.movement(user, snapshot, previous)
        rows = [(r, moves.get(r.client_id, [])) for r in _moved_rows(snapshot, previous, moves)]
    widget.update(
        previous=previous,
        rows=rows,
        counts=[(move_badges([m]), counts[m]) for m in selectors.MOVES if counts.get(m)],
        total=total,
        more=max(0, total - len(rows)),
    )
    return widget


def aging_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    """Director and finance: the receivables in total and overdue, by aging bucket."""
    if user.role not in (Role.DIRECTOR, Role.FINANCE) or not policy.can(user, "receivables.view_receivables"):
        return None
    from kam.receivables import selectors

    today = timezone.localdate()
    rows = selectors.aging(user, on=today, group_by="department")
    totals = selectors.aging_totals(rows)
    labels = selectors.bucket_labels()
    overdue = totals.overdue
    buckets = []
    for name in selectors.BUCKETS:
        amount = getattr(totals, name)
        buckets.append(
            {
                "name": name,
                "label": labels[name],
                "amount": amount,
                "share": (amount / totals.total) if totals.total else None,
                "width": int(round(amount * 100 / totals.total, 0)) if totals.total else 0,
                "overdue": name != "current",
            }
        )
    return {
        "template": "core/widgets/aging.html",
        "today": today,
        "totals": totals,
        "overdue": overdue,
        "overdue_share": (overdue / totals.total) if totals.total else None,
        "buckets": buckets,
        "departments": rows[:6],
    }


def punctuality_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    """Head (and director): who started meetings late in the last seven days."""
    if user.role not in (Role.HEAD, Role.DIRECTOR) or not policy.can(user, "activities.view_schedule"):
        return None
    from kam.activities import selectors

    today = timezone.localdate()
    first = today - timedelta(days=PUNCTUALITY_DAYS - 1)
    rows = selectors.punctuality_report(user, first, today, started_only=True)
    started = sum(r.started for r in rows)
    late = sum(r.late for r in rows)
    return {
        "template": "core/widgets/punctuality.html",
        "first": first,
        "last": today,
        "started": started,
        "late": late,
        "late_share": Decimal(late) / Decimal(started) if started else None,
        "rows": [r for r in rows if r.late][:LATE_SHOWN],
    }


def register_all() -> None:
    from kam.core import dashboard

    for builder in (concentration_widget, movement_widget, aging_widget, punctuality_widget):
        dashboard.register(builder)
