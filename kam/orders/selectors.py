"""Reads for orders, always through the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404

from kam.access import policy
from kam.access.models import User

from .models import (
    OPEN_STATUSES,
    Decision,
    DiscountApproval,
    Order,
    OrderEvent,
    OrderStatus,
    Product,
    ProductPrice,
    Reason,
    ReturnLine,
)

QUEUE_STATUSES = (OrderStatus.SUBMITTED, OrderStatus.ENTERED, OrderStatus.SHIPPED)


def orders_for_user(
    user: User, *, status: str = "", client_id: int | None = None, line_count: bool = True
) -> QuerySet[Order]:
    """The orders `user` may see, newest first; `line_count=False` leaves out the lines' count (a GROUP
    BY over every column of the rows)."""
    if not policy.can(user, "orders.view_orders"):
        return Order.objects.none()
    qs = policy.limit_to_visible_clients(Order.objects.all(), user).select_related("client", "kam")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in OrderStatus.values:
        qs = qs.filter(status=status)
    if client_id:
        qs = qs.filter(client_id=client_id)
    if line_count:
        qs = qs.annotate(line_count=Count("lines"))
    return qs.order_by("-created_at", "-id")


def order_for_user(user: User, order_id: int) -> Order:
    order = Order.objects.select_related("client", "client__department", "kam").filter(pk=order_id).first()
    if order is None or not policy.can(user, "orders.view_orders", order):
        raise Http404("No such order")
    return order


def support_queue(user: User) -> QuerySet[Order]:
    if not policy.can(user, "orders.process"):
        return Order.objects.none()
    return (
        Order.objects.filter(status__in=QUEUE_STATUSES)
        .select_related("client", "kam")
        .annotate(line_count=Count("lines"))
        .order_by("submitted_at", "id")
    )


def pending_approvals(user: User) -> QuerySet[DiscountApproval]:
    if not policy.can(user, "orders.approve_discount"):
        return DiscountApproval.objects.none()
    qs = DiscountApproval.objects.filter(decision=Decision.PENDING).select_related(
        "order", "order__client", "order__kam", "requested_by"
    )
    if policy.is_director(user):
        return qs.order_by("requested_at")
    if user.department_id is None:
        return qs.none()
    return qs.filter(order__client__department_id=user.department_id).order_by("requested_at")


def products(*, search: str = "", active_only: bool = False) -> QuerySet[Product]:
    qs = Product.objects.all()
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    if active_only:
        qs = qs.filter(active=True)
    return qs


def price_matrix(product_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    """{product id: {column: price}} in one query."""
    matrix: dict[int, dict[int, Decimal]] = {}
    for product_id, column, price in ProductPrice.objects.filter(product_id__in=product_ids).values_list(
        "product_id", "column", "price"
    ):
        matrix.setdefault(product_id, {})[column] = price
    return matrix


def used_columns() -> list[int]:
    return sorted(set(ProductPrice.objects.values_list("column", flat=True).distinct()))


def products_with_price(column: int) -> list[tuple[Product, Decimal]]:
    rows = (
        ProductPrice.objects.filter(column=column, product__active=True)
        .select_related("product")
        .order_by("product__code")
    )
    return [(row.product, row.price) for row in rows]


# --------------------------------------------------------------------------- returns and refusals


@dataclass
class AnalysisRow:
    key: Any
    label: str
    returns: int  # return lines
    returned_amount: Decimal
    refusals: int  # refused orders
    refused_amount: Decimal

    @property
    def total(self) -> Decimal:
        return self.returned_amount + self.refused_amount


BY = {
    "reason": ("order_return__reason", "reason", None),
    "product": ("line__product_id", None, "product"),
    "client": ("order_return__order__client_id", "client_id", "client"),
    "kam": ("order_return__order__kam_id", "kam_id", "kam"),
}


def returns_analysis(
    user: User, *, by: str = "reason", date_from: date | None = None, date_to: date | None = None
) -> list[AnalysisRow]:
    """Returns and refusals grouped by reason, product, client or KAM, for the clients the user sees."""
    if by not in BY or not policy.can(user, "orders.view_analysis"):
        return []
    clients = policy.visible_clients(user).values("pk")
    ret_key, refusal_key, _kind = BY[by]
    returns = ReturnLine.objects.filter(order_return__order__client__in=clients)
    refused = Order.objects.filter(client__in=clients, status=OrderStatus.REFUSED)
    if date_from or date_to:
        events = OrderEvent.objects.filter(to_status=OrderStatus.REFUSED)
        if date_from:
            returns = returns.filter(order_return__returned_on__gte=date_from)
            events = events.filter(at__date__gte=date_from)
        if date_to:
            returns = returns.filter(order_return__returned_on__lte=date_to)
            events = events.filter(at__date__lte=date_to)
        refused = refused.filter(pk__in=events.values("order_id"))
    rows: dict[Any, list[Any]] = {}
    for key, count, amount in (
        returns.values(ret_key)
        .annotate(n=Count("id"), amount=Sum("amount"))
        .values_list(ret_key, "n", "amount")
    ):
        rows.setdefault(key, [0, Decimal(0), 0, Decimal(0)])[0:2] = [count, amount or Decimal(0)]
    if by == "product":
        # A refused order refuses every line: count lines per product, amounts per line.
        from .models import OrderLine

        refused_lines = (
            OrderLine.objects.filter(order__in=refused.values("pk"))
            .values("product_id")
            .annotate(n=Count("id"), amount=Sum("amount"))
            .values_list("product_id", "n", "amount")
        )
        for key, count, amount in refused_lines:
            rows.setdefault(key, [0, Decimal(0), 0, Decimal(0)])[2:4] = [count, amount or Decimal(0)]
    else:
        assert refusal_key is not None
        for key, count, amount in (
            refused.values(refusal_key)
            .annotate(n=Count("id"), amount=Sum("total"))
            .values_list(refusal_key, "n", "amount")
        ):
            rows.setdefault(key, [0, Decimal(0), 0, Decimal(0)])[2:4] = [count, amount or Decimal(0)]
    labels = _labels(by, list(rows))
    result = [
        AnalysisRow(key, labels.get(key, str(key or "—")), r[0], r[1], r[2], r[3]) for key, r in rows.items()
    ]
    result.sort(key=lambda row: (-row.total, row.label))
    return result


def _labels(by: str, keys: list[Any]) -> dict[Any, str]:
    if by == "reason":
        return {key: str(Reason(key).label) if key in Reason.values else str(key or "—") for key in keys}
    if by == "product":
        return {
            pk: f"{code} {name}"
            for pk, code, name in Product.objects.filter(pk__in=keys).values_list("pk", "code", "name")
        }
    if by == "client":
        from kam.clients.models import Client

        return dict(Client.objects.filter(pk__in=keys).values_list("pk", "short_name"))
    from kam.access.models import User as UserModel

    return {user.pk: user.get_full_name() or user.username for user in UserModel.objects.filter(pk__in=keys)}


def open_orders_total(client_id: int) -> Decimal:
    return Order.objects.filter(client_id=client_id, status__in=OPEN_STATUSES).aggregate(t=Sum(F("total")))[
        "t"
    ] or Decimal(0)
