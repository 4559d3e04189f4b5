"""Writes for orders: taking an order, the credit check on submit, approvals, the sales-support moves,
delivery into the ledger and receivables, returns, refusals, delivery acts and the price-list import.

Every state change goes through `_move`, which allows only the pairs in TRANSITIONS and records an
OrderEvent. Submission locks the client row (`select_for_update`), so two orders for one client are
checked one after the other and can never together pass the credit limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client
from kam.core.money import format_money

from . import credit
from .models import (
    OPEN_STATUSES,
    PRICE_COLUMNS,
    ActKind,
    Decision,
    DeliveryAct,
    DeliveryActLine,
    DiscountApproval,
    Order,
    OrderEvent,
    OrderLine,
    OrderReturn,
    OrderSettings,
    OrderStatus,
    OverdueAction,
    Product,
    ProductPrice,
    Reason,
    ReturnLine,
)

KOPECK = Decimal("0.01")
S = OrderStatus
TAKE, APPROVE, PROCESS = "orders.take_order", "orders.approve_discount", "orders.process"

# from → {to: the permissions any of which allows the move}. Anything else is forbidden.
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    S.DRAFT: {S.SUBMITTED: (TAKE,), S.AWAITING_APPROVAL: (TAKE,), S.CANCELLED: (TAKE,)},
    S.AWAITING_APPROVAL: {S.SUBMITTED: (APPROVE,), S.DRAFT: (APPROVE,), S.CANCELLED: (TAKE, APPROVE)},
    S.SUBMITTED: {S.ENTERED: (PROCESS,), S.CANCELLED: (PROCESS, TAKE), S.REFUSED: (PROCESS,)},
    S.ENTERED: {S.SHIPPED: (PROCESS,), S.CANCELLED: (PROCESS,), S.REFUSED: (PROCESS,)},
    S.SHIPPED: {S.DELIVERED: (PROCESS,), S.REFUSED: (PROCESS,)},
    S.DELIVERED: {S.PARTLY_RETURNED: (PROCESS,), S.RETURNED: (PROCESS,)},
    S.PARTLY_RETURNED: {S.PARTLY_RETURNED: (PROCESS,), S.RETURNED: (PROCESS,)},
    S.RETURNED: {},
    S.REFUSED: {},
    S.CANCELLED: {},
}
NEEDS_REASON = {S.CANCELLED, S.REFUSED, S.PARTLY_RETURNED, S.RETURNED}
# The moves sales support makes from the queue with `order_move`.
PROCESS_MOVES = {S.ENTERED, S.SHIPPED, S.DELIVERED, S.CANCELLED, S.REFUSED}


def money(value: Decimal) -> Decimal:
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def _label(status: str) -> str:
    return str(S(status).label)


def _lock_order(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise ValidationError(_("No such order.")) from None


def _require(actor: User, perms: Iterable[str], order: Order) -> None:
    if not any(policy.can(actor, perm, order.client if perm != PROCESS else None) for perm in perms):
        raise PermissionDenied(_("You may not do this with this order."))


def _move(order: Order, to: str, *, actor: User, reason: str = "") -> OrderEvent:
    """Change the status if TRANSITIONS allows it and the actor may; record who, when and why."""
    allowed = TRANSITIONS.get(order.status, {})
    if to not in allowed:
        raise ValidationError(
            _("An order that is “%(current)s” cannot become “%(target)s”.")
            % {"current": _label(order.status), "target": _label(to)}
        )
    _require(actor, allowed[to], order)
    if to in NEEDS_REASON and not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    event = OrderEvent.objects.create(
        order=order, from_status=order.status, to_status=to, actor=actor, reason=reason.strip()
    )
    order.status = to
    order.save(update_fields=["status"])
    return event


# --------------------------------------------------------------------------- prices


def column_price(product: Product, column: int) -> Decimal | None:
    found = (
        ProductPrice.objects.filter(product=product, column=column).values_list("price", flat=True).first()
    )
    return found


def line_price(list_price: Decimal, discount: Decimal) -> Decimal:
    return money(list_price * (100 - discount) / 100)


def kam_floor_price(client_price: Decimal, config: OrderSettings) -> Decimal:
    """The lowest price a KAM may give on their own: the client's column less the allowed %."""
    return money(client_price * (100 - config.kam_max_discount) / 100)


# --------------------------------------------------------------------------- taking an order


@transaction.atomic
def order_create(*, client: Client, actor: User, column: int | None = None, note: str = "") -> Order:
    if not policy.can(actor, TAKE, client):
        raise PermissionDenied(_("You may not take orders for this client."))
    order = Order(
        client=client,
        kam=actor if policy.is_kam(actor) else client.owner,
        column=column or client.price_column,
        note=note,
    )
    order.full_clean()
    order.save()
    OrderEvent.objects.create(order=order, from_status="", to_status=S.DRAFT, actor=actor)
    return order


def _editable(order_id: int, actor: User) -> Order:
    order = _lock_order(order_id)
    if not policy.can(actor, TAKE, order.client):
        raise PermissionDenied(_("You may not change this order."))
    if order.status != S.DRAFT:
        raise ValidationError(_("Only a draft order can be changed."))
    return order


def _reprice(order: Order) -> None:
    order.total = order.lines.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    order.save(update_fields=["total"])


@transaction.atomic
def order_update(*, order_id: int, actor: User, column: int, note: str = "") -> Order:
    """Change the column (lines are repriced from it, discounts kept) and the note of a draft."""
    order = _editable(order_id, actor)
    if not 1 <= column <= PRICE_COLUMNS:
        raise ValidationError({"column": _("The column must be from 1 to %(n)s.") % {"n": PRICE_COLUMNS}})
    order.column = column
    order.note = note
    order.full_clean()
    order.save(update_fields=["column", "note"])
    for line in order.lines.select_related("product"):
        list_price = column_price(line.product, column)
        if list_price is None:
            raise ValidationError(
                {
                    "column": _("%(product)s has no price in column %(column)s.")
                    % {"product": line.product.code, "column": column}
                }
            )
        line.list_price = list_price
        line.price = line_price(list_price, line.discount)
        line.amount = money(line.price * line.quantity)
        line.save(update_fields=["list_price", "price", "amount"])
    _reprice(order)
    return order


@transaction.atomic
def order_line_add(
    *, order_id: int, actor: User, product: Product, quantity: Decimal, discount: Decimal = Decimal(0)
) -> OrderLine:
    order = _editable(order_id, actor)
    if not product.active:
        raise ValidationError({"product": _("This product is no longer sold.")})
    list_price = column_price(product, order.column)
    if list_price is None:
        raise ValidationError(
            {
                "product": _("%(product)s has no price in column %(column)s.")
                % {"product": product.code, "column": order.column}
            }
        )
    client_price = column_price(product, order.client.price_column)
    if client_price is None:
        client_price = list_price
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be above zero.")})
    if discount is None or not Decimal(0) <= discount < 100:
        raise ValidationError({"discount": _("The discount must be from 0 to 99.99 %.")})
    price = line_price(list_price, discount)
    position = (order.lines.aggregate(m=Max("position"))["m"] or 0) + 1
    line = OrderLine(
        order=order,
        position=position,
        product=product,
        quantity=quantity,
        list_price=list_price,
        client_price=client_price,
        discount=discount,
        price=price,
        amount=money(price * quantity),
    )
    line.full_clean()
    line.save()
    _reprice(order)
    return line


@transaction.atomic
def order_line_remove(*, order_id: int, line_id: int, actor: User) -> None:
    order = _editable(order_id, actor)
    deleted, _rows = order.lines.filter(pk=line_id).delete()
    if not deleted:
        raise ValidationError(_("No such line in this order."))
    _reprice(order)


# --------------------------------------------------------------------------- credit


@dataclass
class CreditPosition:
    limit: Decimal
    receivables: Decimal
    open_orders: Decimal
    overdue: Decimal
    score: int
    order_amount: Decimal = Decimal(0)
    fitting_lines: list[int] = field(default_factory=list)  # ids of this order's lines that fit in full
    fitting_amount: Decimal = Decimal(0)

    @property
    def exposure_without_order(self) -> Decimal:
        return self.receivables + self.open_orders

    @property
    def exposure(self) -> Decimal:
        return self.exposure_without_order + self.order_amount

    @property
    def largest_order(self) -> Decimal:
        """The largest order that still fits under the limit."""
        return max(self.limit - self.exposure_without_order, Decimal(0))

    @property
    def fits(self) -> bool:
        return self.exposure <= self.limit


def open_orders_amount(client_id: int, *, exclude_order_id: int | None = None) -> Decimal:
    qs = Order.objects.filter(client_id=client_id, status__in=OPEN_STATUSES)
    if exclude_order_id is not None:
        qs = qs.exclude(pk=exclude_order_id)
    return qs.aggregate(total=Sum("total"))["total"] or Decimal(0)


def credit_position(client: Client, *, order: Order | None = None, on: date | None = None) -> CreditPosition:
    """Exposure of the client as the credit check sees it, with and without `order`."""
    today = on or timezone.localdate()
    config = OrderSettings.current()
    position = CreditPosition(
        limit=client.credit_limit,
        receivables=credit.open_receivables(client.pk, on=today),
        open_orders=open_orders_amount(client.pk, exclude_order_id=order.pk if order else None),
        overdue=credit.overdue_debt(client.pk, on=today, tolerance_days=config.overdue_tolerance_days),
        score=credit.credit_score(client.pk),
    )
    if order is not None:
        position.order_amount = order.total
        room = position.largest_order
        for line in order.lines.all():  # by priority: the order the KAM put them in
            if line.amount <= room:
                room -= line.amount
                position.fitting_lines.append(line.pk)
                position.fitting_amount += line.amount
    return position


def _discount_grounds(order: Order, config: OrderSettings) -> list[str]:
    return below_floor_grounds(order.lines.select_related("product"), config)


def below_floor_grounds(lines: Iterable[Any], config: OrderSettings) -> list[str]:
    """The lines (of an order or a proposal) priced below what a KAM may give on their own, in words."""
    grounds = []
    for line in lines:
        if line.price < kam_floor_price(line.client_price, config):
            grounds.append(
                _(
                    "%(product)s: %(price)s is %(gap)s %% below the client's column (%(client_price)s); "
                    "a KAM may give up to %(max)s %%."
                )
                % {
                    "product": line.product.code,
                    "price": format_money(line.price),
                    "gap": line.below_client_column,
                    "client_price": format_money(line.client_price),
                    "max": config.kam_max_discount,
                }
            )
    return grounds


@transaction.atomic
def order_submit(*, order_id: int, actor: User, on: date | None = None) -> Order:
    """The KAM hands the order to sales support, after the credit check.

    Exposure = open receivables + open orders + this order must not pass the credit limit (exactly
    at the limit passes). Overdue debt above the tolerance blocks or needs approval (a setting); a
    discount beyond the rules needs approval. The client row is locked first, so concurrent
    submissions for one client are checked one after another.
    """
    head = Order.objects.filter(pk=order_id).values_list("client_id", flat=True).first()
    if head is None:
        raise ValidationError(_("No such order."))
    client = Client.objects.select_for_update().get(pk=head)
    order = _lock_order(order_id)
    if order.status != S.DRAFT:
        _move(order, S.SUBMITTED, actor=actor)  # raises the forbidden-move error
    if not policy.can(actor, TAKE, client):
        raise PermissionDenied(_("You may not submit orders for this client."))
    if not order.lines.exists():
        raise ValidationError(_("Add at least one line before submitting."))
    today = on or timezone.localdate()
    config = OrderSettings.current()
    position = credit_position(client, order=order, on=today)
    order.credit_limit = position.limit
    order.credit_receivables = position.receivables
    order.credit_open_orders = position.open_orders
    order.credit_overdue = position.overdue
    order.credit_score = position.score
    if not position.fits:
        raise ValidationError(
            _(
                "Credit limit exceeded: exposure %(exposure)s (receivables %(receivables)s + open orders "
                "%(open)s + this order %(order)s) is above the limit %(limit)s by %(over)s. "
                "The largest order that fits is %(largest)s."
            )
            % {
                "exposure": format_money(position.exposure),
                "receivables": format_money(position.receivables),
                "open": format_money(position.open_orders),
                "order": format_money(position.order_amount),
                "limit": format_money(position.limit),
                "over": format_money(position.exposure - position.limit),
                "largest": format_money(position.largest_order),
            }
        )
    grounds = _discount_grounds(order, config)
    if position.overdue > config.overdue_tolerance_amount:
        text = _("Overdue debt %(overdue)s is above the tolerance %(tolerance)s.") % {
            "overdue": format_money(position.overdue),
            "tolerance": format_money(config.overdue_tolerance_amount),
        }
        if config.overdue_action == OverdueAction.BLOCK:
            raise ValidationError(text + " " + _("Orders are blocked until it is paid."))
        grounds.append(text)
    order.submitted_at = timezone.now()
    order.save(
        update_fields=[
            "submitted_at",
            "credit_limit",
            "credit_receivables",
            "credit_open_orders",
            "credit_overdue",
            "credit_score",
        ]
    )
    if grounds:
        _move(order, S.AWAITING_APPROVAL, actor=actor, reason="\n".join(grounds))
        DiscountApproval.objects.create(order=order, requested_by=actor, grounds="\n".join(grounds))
    else:
        _move(order, S.SUBMITTED, actor=actor)
    return order


@transaction.atomic
def approval_decide(*, order_id: int, actor: User, approve: bool, reason: str = "") -> DiscountApproval:
    """The head approves (the order goes to sales support) or refuses (back to the KAM as a draft)."""
    order = _lock_order(order_id)
    approval = order.approvals.select_for_update().filter(decision=Decision.PENDING).first()
    if approval is None or order.status != S.AWAITING_APPROVAL:
        raise ValidationError(_("This order is not waiting for approval."))
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Give the reason for refusing.")})
    _move(
        order,
        S.SUBMITTED if approve else S.DRAFT,
        actor=actor,
        reason=reason or (_("Approved") if approve else ""),
    )
    approval.decision = Decision.APPROVED if approve else Decision.REJECTED
    approval.decided_by = actor
    approval.decided_at = timezone.now()
    approval.reason = reason.strip()
    approval.save()
    return approval


# --------------------------------------------------------------------------- sales support


@transaction.atomic
def order_move(
    *,
    order_id: int,
    to: str,
    actor: User,
    reason: str = "",
    reason_note: str = "",
    on: date | None = None,
) -> Order:
    """A move from the queue: entered, shipped, delivered, cancelled or refused (these two with a reason)."""
    order = _lock_order(order_id)
    if to == S.CANCELLED and order.status in (S.DRAFT, S.AWAITING_APPROVAL):
        pass  # the KAM withdraws their own order
    elif to not in PROCESS_MOVES:
        raise ValidationError(_("This move is not made from the queue."))
    if to in (S.CANCELLED, S.REFUSED):
        if to == S.REFUSED and reason not in Reason.values:
            raise ValidationError({"reason": _("Choose the reason of the refusal.")})
        shown = str(Reason(reason).label) if reason in Reason.values else ""
        text = ": ".join(part for part in (shown, reason_note.strip()) if part)
        _move(order, to, actor=actor, reason=text)
        order.reason = reason if reason in Reason.values else ""
        order.reason_note = reason_note.strip()
        order.save(update_fields=["reason", "reason_note"])
        order.approvals.filter(decision=Decision.PENDING).update(
            decision=Decision.REJECTED, decided_by=actor, decided_at=timezone.now(), reason=text
        )
        return order
    _move(order, to, actor=actor, reason=reason_note)
    if to == S.DELIVERED:
        _deliver(order, actor=actor, on=on or timezone.localdate())
    return order


def _orders_batch() -> Any:
    from kam.ledger.models import ImportBatch, ImportSource, ImportStatus

    batch = ImportBatch.objects.filter(
        file_name="orders", sha256="orders", source=ImportSource.COMMAND
    ).first()
    if batch is None:
        batch = ImportBatch.objects.create(
            file_name="orders",
            sha256="orders",
            source=ImportSource.COMMAND,
            status=ImportStatus.IMPORTED,
            message="Lines written by delivered orders and their returns",
        )
    return batch


def _ledger_write(
    order: Order, rows: list[tuple[str, OrderLine, Decimal, Decimal, Decimal]], day: date
) -> None:
    """rows: (external id, line, quantity, revenue, cost); one source of truth per line id."""
    from kam.ledger.models import SalesLine
    from kam.ledger.services import ledger_refresh_monthly

    if not rows:
        return
    existing = set(
        SalesLine.objects.filter(external_id__in=[r[0] for r in rows]).values_list("external_id", flat=True)
    )
    batch = _orders_batch()
    client = order.client
    SalesLine.objects.bulk_create(
        [
            SalesLine(
                external_id=external_id,
                date=day,
                client_id=order.client_id,
                manager_id=order.kam_id,
                department_id=client.department_id,
                product_code=line.product.code,
                product_name=line.product.name[:300],
                quantity=quantity,
                revenue=revenue,
                cost=cost,
                batch=batch,
            )
            for external_id, line, quantity, revenue, cost in rows
            if external_id not in existing
        ]
    )
    ledger_refresh_monthly(pairs=[(order.client_id, day)])


def _deliver(order: Order, *, actor: User, on: date) -> None:
    lines = list(order.lines.select_related("product"))
    _ledger_write(
        order,
        [
            (
                f"order-{order.pk}-{line.pk}",
                line,
                line.quantity,
                line.amount,
                money(line.quantity * line.product.cost_price),
            )
            for line in lines
        ],
        on,
    )
    invoice = credit.invoice_for_order(
        order_id=order.pk, client=order.client, amount=order.total, issued_on=on, actor=actor
    )
    order.delivered_on = on
    order.invoice_id = getattr(invoice, "pk", None)
    order.save(update_fields=["delivered_on", "invoice_id"])


def _parse_quantities(order: Order, quantities: Mapping[int, Decimal | str | None]) -> dict[int, Decimal]:
    lines = {line.pk: line for line in order.lines.all()}
    wanted: dict[int, Decimal] = {}
    for line_id, raw in quantities.items():
        if raw in (None, ""):
            continue
        try:
            qty = Decimal(str(raw).replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("'%(value)s' is not a quantity.") % {"value": raw}) from None
        if qty < 0 or qty != qty.quantize(Decimal("0.001")):
            raise ValidationError(_("'%(value)s' is not a quantity.") % {"value": raw})
        if int(line_id) not in lines:
            raise ValidationError(_("No such line in this order."))
        if qty:
            wanted[int(line_id)] = qty
    if not wanted:
        raise ValidationError(_("Give the quantity of at least one line."))
    return wanted


@transaction.atomic
def order_return_create(
    *,
    order_id: int,
    actor: User,
    quantities: Mapping[int, Decimal | str | None] | None = None,
    reason: str,
    note: str = "",
    full: bool = False,
    on: date | None = None,
) -> OrderReturn:
    """A return of a delivered order, whole (`full`) or by quantities per line; negative ledger lines."""
    order = _lock_order(order_id)
    if reason not in Reason.values:
        raise ValidationError({"reason": _("Choose the reason of the return.")})
    lines = {line.pk: line for line in order.lines.select_related("product")}
    already = dict(
        ReturnLine.objects.filter(line__order=order)
        .values("line_id")
        .annotate(q=Sum("quantity"))
        .values_list("line_id", "q")
    )
    left = {pk: line.quantity - (already.get(pk) or Decimal(0)) for pk, line in lines.items()}
    if full:
        wanted = {pk: q for pk, q in left.items() if q > 0}
        if not wanted:
            raise ValidationError(_("Everything in this order has been returned already."))
    else:
        wanted = _parse_quantities(order, quantities or {})
    for pk, qty in wanted.items():
        if qty > left[pk]:
            raise ValidationError(
                _("%(product)s: %(qty)s to return, but only %(left)s delivered and not yet returned.")
                % {"product": lines[pk].product.code, "qty": qty, "left": left[pk]}
            )
    everything = all(left[pk] - wanted.get(pk, Decimal(0)) == 0 for pk in lines)
    text = str(Reason(reason).label) + (f": {note.strip()}" if note.strip() else "")
    _move(order, S.RETURNED if everything else S.PARTLY_RETURNED, actor=actor, reason=text)
    number = (order.returns.aggregate(m=Max("number"))["m"] or 0) + 1
    day = on or timezone.localdate()
    ret = OrderReturn.objects.create(
        order=order, number=number, reason=reason, note=note.strip(), created_by=actor, returned_on=day
    )
    rows = []
    for pk, qty in wanted.items():
        line = lines[pk]
        amount = money(line.price * qty)
        ReturnLine.objects.create(order_return=ret, line=line, quantity=qty, amount=amount)
        rows.append(
            (
                f"order-{order.pk}-{pk}-ret-{number}",
                line,
                -qty,
                -amount,
                -money(qty * line.product.cost_price),
            )
        )
    _ledger_write(order, rows, day)
    returned = sum((line.amount for line in ret.lines.all()), start=Decimal(0))
    credit.credit_note_for_return(
        order_id=order.pk,
        client=order.client,
        amount=returned,
        issued_on=day,
        reason=_("Return %(n)s of order #%(order)s: %(reason)s")
        % {"n": number, "order": order.pk, "reason": text},
        actor=actor,
    )
    return ret


@transaction.atomic
def delivery_act_create(
    *, order_id: int, actor: User, kind: str, quantities: Mapping[int, Decimal | str | None], note: str = ""
) -> DeliveryAct:
    """An act for a shortage or misgrading found in a delivery."""
    order = _lock_order(order_id)
    if not (policy.can(actor, PROCESS) or policy.can(actor, TAKE, order.client)):
        raise PermissionDenied(_("You may not draw up acts for this order."))
    if order.status not in (S.SHIPPED, S.DELIVERED, S.PARTLY_RETURNED):
        raise ValidationError(_("Acts are drawn up for shipped or delivered orders."))
    if kind not in ActKind.values:
        raise ValidationError({"kind": _("Choose shortage or misgrading.")})
    wanted = _parse_quantities(order, quantities)
    lines = {line.pk: line for line in order.lines.all()}
    for pk, qty in wanted.items():
        if qty > lines[pk].quantity:
            raise ValidationError(_("An act cannot exceed the quantity of the line."))
    act = DeliveryAct.objects.create(order=order, kind=kind, note=note.strip(), created_by=actor)
    DeliveryActLine.objects.bulk_create(
        [DeliveryActLine(act=act, line_id=pk, quantity=qty) for pk, qty in wanted.items()]
    )
    OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        actor=actor,
        reason=_("Act: %(kind)s") % {"kind": ActKind(kind).label}
        + (f" — {note.strip()}" if note.strip() else ""),
    )
    return act


# --------------------------------------------------------------------------- products and price list


@dataclass
class PriceImportResult:
    products_created: int = 0
    products_updated: int = 0
    prices: int = 0
    errors: list[tuple[int | None, str, str]] = field(default_factory=list)  # (row, column, reason)

    @property
    def ok(self) -> bool:
        return not self.errors


_HEADERS = {
    "code": ("code", "код", "артикул", "sku"),
    "name": ("name", "наименование", "название", "товар", "product"),
    "unit": ("unit", "ед", "ед.", "единица", "ед. изм.", "ед.изм."),
    "cost_price": ("cost", "cost price", "себестоимость"),
    "active": ("active", "активен"),
}
_BASE = ("base", "базовая", "базовая цена", "base price", "цена")
_COLUMN = re.compile(r"^(?:column|col|колонка|цена|price|прайс)\s*[#№]?\s*(\d{1,2})$")


def _price_headers(headers: list[str]) -> tuple[dict[str, int], dict[int, int], list[str]]:
    fields: dict[str, int] = {}
    columns: dict[int, int] = {}
    problems = []
    for index, raw in enumerate(headers):
        text = " ".join(str(raw or "").strip().lower().replace("ё", "е").split())
        match = _COLUMN.match(text)
        if text in _BASE:
            columns[1] = index
        elif match:
            number = int(match.group(1))
            if not 1 <= number <= PRICE_COLUMNS:
                problems.append(
                    _("Column “%(header)s”: price columns are 1–%(n)s.") % {"header": raw, "n": PRICE_COLUMNS}
                )
            else:
                columns[number] = index
        else:
            for name, names in _HEADERS.items():
                if text in names:
                    fields.setdefault(name, index)
    if "code" not in fields:
        problems.append(_("No column with the product code (code, код, артикул)."))
    if not columns:
        problems.append(_("No price columns (base, column 2, column 3, … or цена 1, цена 2, …)."))
    return fields, columns, problems


@transaction.atomic
def price_list_import(*, fileobj: IO[bytes], file_name: str, actor: User) -> PriceImportResult:
    """Products and their column prices from CSV or Excel; all or nothing, with every bad row named."""
    from kam.ledger import importing

    if not policy.can(actor, "orders.manage_products"):
        raise PermissionDenied(_("You may not change the price list."))
    result = PriceImportResult()
    try:
        table = importing.open_table(fileobj, name=file_name)
    except importing.FileProblem as problem:
        result.errors.append((None, "", str(problem)))
        return result
    try:
        fields, columns, problems = _price_headers(table.headers)
        for text in problems:
            result.errors.append((None, "", text))
        if problems:
            return result
        rows: dict[str, dict[str, Any]] = {}
        for number, cells in table.rows:

            def cell(index: int | None, cells: Any = cells) -> Any:
                return cells[index] if index is not None and index < len(cells) else None

            code = importing.cell_text(cell(fields["code"]))
            if not code and not any(importing.cell_text(c) for c in cells):
                continue
            if not code:
                result.errors.append((number, table.headers[fields["code"]], _("is empty")))
                continue
            if code in rows:
                result.errors.append(
                    (number, table.headers[fields["code"]], _("“%(code)s” is repeated") % {"code": code})
                )
                continue
            row: dict[str, Any] = {"code": code, "prices": {}}
            if "name" in fields:
                row["name"] = importing.cell_text(cell(fields["name"]))[:300]
            if "unit" in fields:
                row["unit"] = importing.cell_text(cell(fields["unit"]))[:20]
            if "cost_price" in fields and importing.cell_text(cell(fields["cost_price"])):
                try:
                    kop = importing.parse_kopecks(cell(fields["cost_price"]))
                    if kop < 0:
                        raise importing.BadValue(_("must not be negative"))
                    row["cost_price"] = Decimal(kop) / 100
                except importing.BadValue as bad:
                    result.errors.append((number, table.headers[fields["cost_price"]], str(bad)))
            for column, index in columns.items():
                if not importing.cell_text(cell(index)):
                    continue
                try:
                    kop = importing.parse_kopecks(cell(index))
                    if kop < 0:
                        raise importing.BadValue(_("must not be negative"))
                    row["prices"][column] = Decimal(kop) / 100
                except importing.BadValue as bad:
                    result.errors.append((number, table.headers[index], str(bad)))
            rows[code] = row
    finally:
        table.close()
    known = {p.code: p for p in Product.objects.filter(code__in=list(rows))}
    for code, row in rows.items():
        if code not in known and not row.get("name"):
            result.errors.append((None, "name", _("New product “%(code)s” needs a name.") % {"code": code}))
    if result.errors:
        return result
    for code, row in rows.items():
        product = known.get(code)
        if product is None:
            product = Product(code=code, name=row["name"])
            result.products_created += 1
        else:
            result.products_updated += 1
        for attr in ("name", "unit", "cost_price"):
            if row.get(attr) not in (None, ""):
                setattr(product, attr, row[attr])
        product.full_clean()
        product.save()
        for column, price in row["prices"].items():
            ProductPrice.objects.update_or_create(product=product, column=column, defaults={"price": price})
            result.prices += 1
    return result


@transaction.atomic
def product_save(
    *, actor: User, code: str, name: str, unit: str, cost_price: Decimal, active: bool = True
) -> Product:
    if not policy.can(actor, "orders.manage_products"):
        raise PermissionDenied(_("You may not change the price list."))
    product = Product.objects.filter(code=code).first() or Product(code=code)
    product.name, product.unit, product.cost_price, product.active = name, unit, cost_price, active
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def product_update(
    *,
    actor: User,
    product: Product | None,
    code: str,
    name: str,
    unit: str,
    cost_price: Decimal,
    active: bool,
    prices: Mapping[int, Decimal | None],
) -> Product:
    """Create or change a product and its column prices; an empty price removes it from that column."""
    if not policy.can(actor, "orders.manage_products"):
        raise PermissionDenied(_("You may not change the price list."))
    code = code.strip()
    clash = Product.objects.filter(code=code)
    if product is not None:
        clash = clash.exclude(pk=product.pk)
    if clash.exists():
        raise ValidationError({"code": _("Another product has this code.")})
    product = product or Product()
    product.code, product.name, product.unit = code, name.strip(), unit.strip()
    product.cost_price, product.active = cost_price, active
    product.full_clean()
    product.save()
    for column, price in prices.items():
        if price is None:
            ProductPrice.objects.filter(product=product, column=column).delete()
        else:
            ProductPrice.objects.update_or_create(product=product, column=column, defaults={"price": price})
    return product


@transaction.atomic
def product_price_set(*, actor: User, product: Product, column: int, price: Decimal) -> ProductPrice:
    if not policy.can(actor, "orders.manage_products"):
        raise PermissionDenied(_("You may not change the price list."))
    cell, _created = ProductPrice.objects.update_or_create(
        product=product, column=column, defaults={"price": price}
    )
    cell.full_clean()
    return cell
