"""What orders contribute to other pages: a dashboard widget per role and a meeting-brief section."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Q, Sum, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kam.access import policy

from . import selectors
from .models import OPEN_STATUSES, Decision, DiscountApproval, Order, OrderStatus, ReturnLine

WIDGET_ROWS = 5


def orders_widget(request: HttpRequest, user: Any) -> dict[str, Any] | None:
    """What needs action today: the head's approvals, sales support's queue, the KAM's orders waiting."""
    if policy.can(user, "orders.approve_discount"):
        approvals = list(selectors.pending_approvals(user)[: WIDGET_ROWS + 1])
        return {
            "template": "orders/_widget.html",
            "title": _("Orders waiting for your approval"),
            "orders": [a.order for a in approvals[:WIDGET_ROWS]],
            "more": len(approvals) > WIDGET_ROWS,
            "link": "orders:approvals",
            "empty": _("No order is waiting for your approval."),
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
            "empty": _("The queue is empty: no order to enter or ship."),
        }
    if policy.is_kam(user):
        # What waits on the KAM first (drafts, those the head sent back on top), then on the head,
        # then orders on their way through sales support.
        rejected = DiscountApproval.objects.filter(order=OuterRef("pk"), decision=Decision.REJECTED)
        priority = Case(
            When(status=OrderStatus.DRAFT, then=Value(0)),
            When(status=OrderStatus.AWAITING_APPROVAL, then=Value(1)),
            default=Value(2),
        )
        waiting = (
            selectors.orders_for_user(user, line_count=False)
            .filter(kam=user, status__in=[OrderStatus.DRAFT, *OPEN_STATUSES])
            .select_related(None)
            .select_related("client")
            .only("status", "total", "created_at", "client__short_name")
            .annotate(returned=Exists(rejected), priority=priority)
            .order_by("priority", "-returned", "-created_at")
        )
        mine = list(waiting[: WIDGET_ROWS + 1])
        return {
            "template": "orders/_widget.html",
            "title": _("My orders in progress"),
            "orders": mine[:WIDGET_ROWS],
            "more": len(mine) > WIDGET_ROWS,
            "counts": _kam_counts(waiting) if mine else [],
            "link": "orders:list",
            "empty": _("No draft, no order waiting for approval and none on its way."),
            "returned_label": _("returned by the head"),
        }
    return None


def _kam_counts(waiting: Any) -> list[tuple[str, int]]:
    """Drafts, drafts the head sent back, awaiting approval, on their way: one query."""
    rejected = DiscountApproval.objects.filter(order=OuterRef("pk"), decision=Decision.REJECTED)
    n = Order.objects.filter(pk__in=waiting.values("pk")).aggregate(
        drafts=Count("id", filter=Q(status=OrderStatus.DRAFT)),
        returned=Count("id", filter=Q(Exists(rejected), status=OrderStatus.DRAFT)),
        awaiting=Count("id", filter=Q(status=OrderStatus.AWAITING_APPROVAL)),
        moving=Count("id", filter=Q(status__in=selectors.QUEUE_STATUSES)),
    )
    return [
        (str(OrderStatus.DRAFT.label), n["drafts"]),
        (_("Returned by the head"), n["returned"]),
        (str(OrderStatus.AWAITING_APPROVAL.label), n["awaiting"]),
        (_("With sales support"), n["moving"]),
    ]


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
