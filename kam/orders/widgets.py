"""What orders contribute to other pages: a dashboard widget per role and a meeting-brief section."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Sum
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kam.access import policy

from . import selectors
from .models import OPEN_STATUSES, Order, OrderStatus, ReturnLine

WIDGET_ROWS = 5


def orders_widget(request: HttpRequest, user: Any) -> dict[str, Any] | None:
    """What needs action today: the head's approvals, sales support's queue, the KAM's open orders."""
    if policy.can(user, "orders.approve_discount"):
        approvals = list(selectors.pending_approvals(user)[: WIDGET_ROWS + 1])
        if approvals:
            return {
                "template": "orders/_widget.html",
                "title": _("Orders waiting for your approval"),
                "orders": [a.order for a in approvals[:WIDGET_ROWS]],
                "more": len(approvals) > WIDGET_ROWS,
                "link": "orders:approvals",
            }
    if policy.can(user, "orders.process"):
        counts = dict(
            selectors.support_queue(user)
            .order_by()
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        queue = list(selectors.support_queue(user)[: WIDGET_ROWS + 1])
        return {
            "template": "orders/_widget.html",
            "title": _("Sales-support queue"),
            "orders": queue[:WIDGET_ROWS],
            "more": len(queue) > WIDGET_ROWS,
            "counts": [(OrderStatus(s).label, counts.get(s, 0)) for s in selectors.QUEUE_STATUSES],
            "link": "orders:queue",
        }
    if policy.is_kam(user):
        mine = list(
            selectors.orders_for_user(user)
            .filter(kam=user, status__in=[OrderStatus.DRAFT, *OPEN_STATUSES])
            .order_by("-created_at")[: WIDGET_ROWS + 1]
        )
        if mine:
            return {
                "template": "orders/_widget.html",
                "title": _("My orders in progress"),
                "orders": mine[:WIDGET_ROWS],
                "more": len(mine) > WIDGET_ROWS,
                "link": "orders:list",
            }
    return None


def brief_section(client: Any, user: Any) -> dict[str, Any] | None:
    """Open orders and the latest returns of the client, for the meeting brief."""
    if not policy.can(user, "orders.view_orders", client):
        return None
    open_orders = list(
        Order.objects.filter(client=client, status__in=[OrderStatus.DRAFT, *OPEN_STATUSES])
        .select_related("kam")
        .order_by("-created_at")[:10]
    )
    returned = ReturnLine.objects.filter(order_return__order__client=client).aggregate(
        n=Count("id"), s=Sum("amount")
    )
    refused = Order.objects.filter(client=client, status=OrderStatus.REFUSED).aggregate(
        n=Count("id"), s=Sum("total")
    )
    return {
        "template": "orders/_brief.html",
        "title": _("Orders"),
        "orders": open_orders,
        "returns": {
            "returns": returned["n"],
            "returned_amount": returned["s"] or 0,
            "refusals": refused["n"],
            "refused_amount": refused["s"] or 0,
        }
        if returned["n"] or refused["n"]
        else None,
    }
