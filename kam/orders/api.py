"""Orders as JSON (mounted at /api/orders): the pages' access rules and the same services.

A KAM takes and submits orders for clients it may change; the head decides approvals; sales support moves
orders from the queue. Cost prices and margins are only in the answer for roles that may see them.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Path

from kam.access import policy
from kam.access.models import User
from kam.core.api import READ_ERRORS, WRITE_ERRORS, KamPagination, StrictIn, Text

from . import selectors, services
from .models import Order, OrderStatus, Product

router = Router(tags=["orders"])
Id = Annotated[int, Path(ge=1, le=2**53)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _visible_order(request: HttpRequest, order_id: int) -> Order:
    user = _user(request)
    if not policy.can(user, "orders.view_orders"):
        raise PermissionDenied
    return selectors.order_for_user(user, order_id)


class LineOut(Schema):
    id: int
    position: int
    product_code: str
    product_name: str
    quantity: Decimal
    list_price: Decimal
    discount: Decimal
    price: Decimal
    amount: Decimal
    unit_cost: Decimal | None = None  # only for roles that may see cost prices


class OrderOut(Schema):
    id: int
    client_id: int
    client: str
    kam: str
    column: int
    status: str
    total: Decimal
    note: str
    created_at: Any
    submitted_at: Any = None
    delivered_on: date | None = None
    invoice_id: int | None = None
    lines: list[LineOut] = []


def _order_out(order: Order, user: User, *, with_lines: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": order.pk,
        "client_id": order.client_id,
        "client": str(order.client),
        "kam": str(order.kam),
        "column": order.column,
        "status": order.status,
        "total": order.total,
        "note": order.note,
        "created_at": order.created_at,
        "submitted_at": order.submitted_at,
        "delivered_on": order.delivered_on,
        "invoice_id": order.invoice_id,
        "lines": [],
    }
    if with_lines:
        costs = policy.can(user, "orders.view_margins", order)
        out["lines"] = [
            {
                "id": line.pk,
                "position": line.position,
                "product_code": line.product.code,
                "product_name": line.product.name,
                "quantity": line.quantity,
                "list_price": line.list_price,
                "discount": line.discount,
                "price": line.price,
                "amount": line.amount,
                "unit_cost": line.product.cost_price if costs else None,
            }
            for line in order.lines.select_related("product").order_by("position", "pk")
        ]
    return out


class OrderSummaryOut(Schema):
    id: int
    client_id: int
    client: str
    kam: str
    column: int
    status: str
    total: Decimal
    created_at: Any
    delivered_on: date | None = None

    @staticmethod
    def resolve_client(obj: Order) -> str:
        return str(obj.client)

    @staticmethod
    def resolve_kam(obj: Order) -> str:
        return str(obj.kam)


class OrderFilter(Schema):
    status: Literal["", "open", *OrderStatus.values] = ""  # type: ignore[valid-type]
    client: int | None = Field(None, ge=1, le=2**53)


@router.get("", response={200: list[OrderSummaryOut], **READ_ERRORS}, summary="Orders the user may see")
@paginate(KamPagination)
def order_list(request: HttpRequest, filters: Query[OrderFilter]) -> QuerySet[Order]:
    user = _user(request)
    if not policy.can(user, "orders.view_orders"):
        raise PermissionDenied
    return selectors.orders_for_user(user, status=filters.status, client_id=filters.client)


@router.get("/{order_id}", response={200: OrderOut, **READ_ERRORS}, summary="One order with its lines")
def order_get(request: HttpRequest, order_id: Id) -> dict[str, Any]:
    return _order_out(_visible_order(request, order_id), _user(request), with_lines=True)


class OrderIn(StrictIn):
    client_id: int = Field(ge=1, le=2**53)
    column: int | None = Field(None, ge=1, le=10)
    note: Text = Field("", max_length=2000)


@router.post("", response={201: OrderOut, **WRITE_ERRORS}, summary="Take a new draft order")
def order_create(request: HttpRequest, payload: OrderIn) -> Status:
    user = _user(request)
    client = policy.get_client_for_user(user, payload.client_id, "clients.view_requisites")
    order = services.order_create(client=client, actor=user, column=payload.column, note=payload.note)
    return Status(201, _order_out(order, user, with_lines=True))


class LineIn(StrictIn):
    product_code: Text = Field(min_length=1, max_length=64)
    quantity: Decimal = Field(gt=0, max_digits=15, decimal_places=3)
    discount: Decimal = Field(Decimal(0), ge=0, lt=100, max_digits=5, decimal_places=2)


@router.post("/{order_id}/lines", response={201: OrderOut, **WRITE_ERRORS}, summary="Add a line to a draft")
def order_line_add(request: HttpRequest, order_id: Id, payload: LineIn) -> Status:
    user = _user(request)
    order = _visible_order(request, order_id)
    product = Product.objects.filter(code=payload.product_code).first()
    if product is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"product_code": ["No product with this code."]})
    services.order_line_add(
        order_id=order.pk, actor=user, product=product, quantity=payload.quantity, discount=payload.discount
    )
    return Status(201, _order_out(selectors.order_for_user(user, order.pk), user, with_lines=True))


@router.post(
    "/{order_id}/submit",
    response={200: OrderOut, **WRITE_ERRORS},
    summary="Submit to sales support after the credit check (or to the head for approval)",
)
def order_submit(request: HttpRequest, order_id: Id) -> dict[str, Any]:
    user = _user(request)
    order = _visible_order(request, order_id)
    services.order_submit(order_id=order.pk, actor=user)
    return _order_out(selectors.order_for_user(user, order.pk), user, with_lines=True)


class DecisionIn(StrictIn):
    approve: bool
    reason: Text = Field("", max_length=2000)


@router.post(
    "/{order_id}/decision",
    response={200: OrderOut, **WRITE_ERRORS},
    summary="The head approves or refuses a discount beyond the rules",
)
def order_decide(request: HttpRequest, order_id: Id, payload: DecisionIn) -> dict[str, Any]:
    user = _user(request)
    order = _visible_order(request, order_id)
    if not policy.can(user, "orders.approve_discount", order):
        raise PermissionDenied
    services.approval_decide(order_id=order.pk, actor=user, approve=payload.approve, reason=payload.reason)
    return _order_out(selectors.order_for_user(user, order.pk), user, with_lines=True)


class MoveIn(StrictIn):
    to: Literal["entered", "shipped", "delivered", "cancelled", "refused"]
    reason: Text = Field("", max_length=20)
    note: Text = Field("", max_length=2000)


@router.post(
    "/{order_id}/move",
    response={200: OrderOut, **WRITE_ERRORS},
    summary="Sales support moves an order: entered, shipped, delivered, cancelled, refused",
)
def order_move(request: HttpRequest, order_id: Id, payload: MoveIn) -> dict[str, Any]:
    user = _user(request)
    order = _visible_order(request, order_id)
    withdrawing = payload.to == "cancelled" and order.status in (
        OrderStatus.DRAFT,
        OrderStatus.AWAITING_APPROVAL,
    )
    needed = "orders.take_order" if withdrawing else "orders.process"
    if not policy.can(user, needed, order.client if withdrawing else order):
        raise PermissionDenied
    services.order_move(
        order_id=order.pk, to=payload.to, actor=user, reason=payload.reason, reason_note=payload.note
    )
    return _order_out(selectors.order_for_user(user, order.pk), user, with_lines=True)
