"""Order pages: thin; every decision is in services and the policy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client
from kam.core.exports import audited_export
from kam.core.forms import add_service_errors, flash_form_errors, flash_service_errors
from kam.core.pagination import paginate

from . import selectors, services
from .forms import (
    ActForm,
    LineForm,
    NewOrderForm,
    OrderHeaderForm,
    OrderSettingsForm,
    PriceImportForm,
    ProductForm,
    ReturnForm,
)
from .models import Order, OrderSettings, OrderStatus, Product, Reason


def _user(request: HttpRequest, perm: str = "orders.view_orders") -> User:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, perm):
        raise PermissionDenied
    return user


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    status = request.GET.get("status", "")
    orders = selectors.orders_for_user(user, status=status)
    page = paginate(request, orders, settings.KAM_PAGE_SIZE)
    return render(
        request,
        "orders/list.html",
        {
            "page": page,
            "status": status,
            "statuses": OrderStatus.choices,
            "nav": "orders",
            "can_take": policy.can(user, "orders.take_order"),
            "can_process": policy.can(user, "orders.process"),
            "can_approve": policy.can(user, "orders.approve_discount"),
        },
    )


def _takeable_clients(user: User) -> Any:
    # A KAM takes orders for the clients they serve, a head for their department's: what they see.
    return policy.visible_clients(user).select_related("owner").order_by("short_name")


@login_required
def order_create(request: HttpRequest) -> HttpResponse:
    user = _user(request, "orders.take_order")
    initial = {"client": request.GET.get("client")}
    form = NewOrderForm(request.POST or None, initial=initial, clients=_takeable_clients(user))
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_create(
                client=form.cleaned_data["client"],
                actor=user,
                column=form.cleaned_data["column"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("orders:detail", order_id=order.pk)
    return render(request, "orders/create.html", {"form": form, "nav": "orders"})


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    user = _user(request)
    order = selectors.order_for_user(user, order_id)
    client: Client = order.client
    can_take = policy.can(user, "orders.take_order", client)
    is_draft = order.status == OrderStatus.DRAFT
    lines = list(order.lines.select_related("product"))
    position = None
    if is_draft or order.status in (OrderStatus.AWAITING_APPROVAL,):
        position = services.credit_position(client, order=order)
    can_process = policy.can(user, "orders.process")
    returned = {}
    if order.status in (OrderStatus.PARTLY_RETURNED, OrderStatus.RETURNED):
        from django.db.models import Sum

        from .models import ReturnLine

        returned = dict(
            ReturnLine.objects.filter(line__order=order)
            .values("line_id")
            .annotate(q=Sum("quantity"))
            .values_list("line_id", "q")
        )
    for line in lines:
        line.returned_quantity = returned.get(line.pk)  # type: ignore[attr-defined]
    context = {
        "order": order,
        "client": client,
        "lines": lines,
        "position": position,
        "events": order.events.select_related("actor"),
        "approvals": order.approvals.select_related("requested_by", "decided_by"),
        "returns": order.returns.prefetch_related("lines__line__product").select_related("created_by"),
        "acts": order.acts.prefetch_related("lines__line__product").select_related("created_by"),
        "can_edit": can_take and is_draft,
        "can_submit": can_take and is_draft and bool(lines),
        "can_withdraw": can_take and order.status in (OrderStatus.DRAFT, OrderStatus.AWAITING_APPROVAL),
        "can_decide": order.status == OrderStatus.AWAITING_APPROVAL
        and policy.can(user, "orders.approve_discount", client),
        "can_process": can_process,
        "next_moves": [
            (to, OrderStatus(to).label)
            for to in services.TRANSITIONS[order.status]
            if to in (OrderStatus.ENTERED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
        ]
        if can_process
        else [],
        "can_stop": can_process
        and order.status in (OrderStatus.SUBMITTED, OrderStatus.ENTERED, OrderStatus.SHIPPED),
        "can_cancel": can_process and order.status in (OrderStatus.SUBMITTED, OrderStatus.ENTERED),
        "can_return": can_process and order.status in (OrderStatus.DELIVERED, OrderStatus.PARTLY_RETURNED),
        "can_act": (can_process or can_take)
        and order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.PARTLY_RETURNED),
        "show_margins": policy.can(user, "orders.view_margins", client),
        "header_form": OrderHeaderForm(initial={"column": order.column, "note": order.note}),
        "line_form": LineForm(),
        "return_form": ReturnForm(),
        "act_form": ActForm(),
        "reasons": Reason.choices,
        "nav": "orders",
    }
    if context["show_margins"]:
        cost = sum((line.quantity * line.product.cost_price for line in lines), start=Decimal(0))
        context["margin"] = order.total - services.money(cost)
    return render(request, "orders/detail.html", context)


def _order_action(request: HttpRequest, order_id: int) -> tuple[User, Order]:
    user = _user(request)
    return user, selectors.order_for_user(user, order_id)


@login_required
@require_POST
def order_update(request: HttpRequest, order_id: int) -> HttpResponse:
    user, order = _order_action(request, order_id)
    form = OrderHeaderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a column from 1 to 10."))
    else:
        try:
            services.order_update(order_id=order.pk, actor=user, **form.cleaned_data)
        except ValidationError as error:
            flash_service_errors(request, error)
    return redirect("orders:detail", order_id=order.pk)


@login_required
@require_POST
def line_add(request: HttpRequest, order_id: int) -> HttpResponse:
    user, order = _order_action(request, order_id)
    form = LineForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
    else:
        try:
            services.order_line_add(
                order_id=order.pk,
                actor=user,
                product=form.cleaned_data["product"],
                quantity=form.cleaned_data["quantity"],
                discount=form.cleaned_data["discount"] or Decimal(0),
            )
        except ValidationError as error:
            flash_service_errors(request, error)
    return redirect("orders:detail", order_id=order.pk)


@login_required
@require_POST
def line_remove(request: HttpRequest, order_id: int, line_id: int) -> HttpResponse:
    user, order = _order_action(request, order_id)
    try:
        services.order_line_remove(order_id=order.pk, line_id=line_id, actor=user)
    except ValidationError as error:
        flash_service_errors(request, error)
    return redirect("orders:detail", order_id=order.pk)


@login_required
@require_POST
def order_submit(request: HttpRequest, order_id: int) -> HttpResponse:
    user, order = _order_action(request, order_id)
    try:
        order = services.order_submit(order_id=order.pk, actor=user)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        if order.status == OrderStatus.AWAITING_APPROVAL:
            messages.warning(request, _("The order waits for the head's approval."))
        else:
            messages.success(request, _("The order went to sales support."))
    return redirect("orders:detail", order_id=order.pk)


@login_required
@require_POST
def approval_decide(request: HttpRequest, order_id: int) -> HttpResponse:
    user, order = _order_action(request, order_id)
    approve = request.POST.get("decision") == "approve"
    try:
        services.approval_decide(
            order_id=order.pk, actor=user, approve=approve, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(
            request, _("Approved.") if approve else _("Refused: the order went back to the KAM.")
        )
    return redirect("orders:detail", order_id=order.pk)


@login_required
@require_POST
def order_move(request: HttpRequest, order_id: int) -> HttpResponse:
    user, order = _order_action(request, order_id)
    try:
        services.order_move(
            order_id=order.pk,
            to=request.POST.get("to", ""),
            actor=user,
            reason=request.POST.get("reason", ""),
            reason_note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    return redirect("orders:detail", order_id=order.pk)


def _quantities(request: HttpRequest) -> dict[int, str]:
    found: dict[int, str] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if key.startswith("qty-") and key.removeprefix("qty-").isdigit() and value.strip():
            found[int(key.removeprefix("qty-"))] = value
    return found


@login_required
@require_POST
def order_return(request: HttpRequest, order_id: int) -> HttpResponse:
    user, order = _order_action(request, order_id)
    try:
        services.order_return_create(
            order_id=order.pk,
            actor=user,
            quantities=_quantities(request),
            full=request.POST.get("full") == "1",
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("The return is recorded."))
    return redirect("orders:detail", order_id=order.pk)


@login_required
@require_POST
def order_act(request: HttpRequest, order_id: int) -> HttpResponse:
    user, order = _order_action(request, order_id)
    try:
        services.delivery_act_create(
            order_id=order.pk,
            actor=user,
            kind=request.POST.get("kind", ""),
            quantities=_quantities(request),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("The act is recorded."))
    return redirect("orders:detail", order_id=order.pk)


@login_required
def order_export(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _user(request)
    status = request.GET.get("status", "")
    orders = selectors.orders_for_user(user, status=status)
    headers = [
        _("Order"),
        _("Client"),
        _("KAM"),
        _("Status"),
        _("Lines"),
        _("Amount"),
        _("Created"),
        _("Submitted"),
    ]
    rows = [
        (
            o.pk,
            o.client.short_name,
            str(o.kam),
            str(o.get_status_display()),
            o.line_count,  # type: ignore[attr-defined]
            o.total,
            o.created_at.date(),
            o.submitted_at.date() if o.submitted_at else None,
        )
        for o in orders
    ]
    return audited_export(
        request,
        model=Order,
        what="orders",
        headers=headers,
        rows=rows,
        sheet="kam",
        fmt=fmt,
        filters={"status": status},
    )


@login_required
def product_export(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _user(request)
    show_cost = policy.can(user, "orders.view_cost_prices")
    items = list(selectors.products(search=request.GET.get("q", "").strip()))
    matrix = selectors.price_matrix([p.pk for p in items])
    columns = selectors.used_columns() or [1]
    headers = [_("Code"), _("Name"), _("Unit"), _("Active")]
    if show_cost:
        headers.append(_("Cost price"))
    headers += [_("Column %(n)s") % {"n": c} for c in columns]
    rows = []
    for p in items:
        row: list[Any] = [p.code, p.name, p.unit, p.active]
        if show_cost:
            row.append(p.cost_price)
        row += [matrix.get(p.pk, {}).get(c) for c in columns]
        rows.append(row)
    return audited_export(
        request,
        model=Order,
        what="price list",
        headers=headers,
        rows=rows,
        filename="price-list",
        sheet="kam",
        fmt=fmt,
        filters={},
    )


@login_required
def order_settings(request: HttpRequest) -> HttpResponse:
    _user(request, "orders.change_settings")
    form = OrderSettingsForm(request.POST or None, instance=OrderSettings.current())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The order rules are saved."))
        return redirect("orders:settings")
    return render(
        request,
        "orders/settings.html",
        {
            "form": form,
            "nav": "orders",
        },
    )


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user = _user(request, "orders.process")
    page = paginate(request, selectors.support_queue(user), settings.KAM_PAGE_SIZE)
    return render(request, "orders/queue.html", {"page": page, "nav": "orders"})


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    user = _user(request, "orders.approve_discount")
    page = paginate(request, selectors.pending_approvals(user), settings.KAM_PAGE_SIZE)
    return render(request, "orders/approvals.html", {"page": page, "nav": "orders"})


@login_required
def products(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    search = request.GET.get("q", "").strip()
    page = paginate(request, selectors.products(search=search), settings.KAM_PAGE_SIZE)
    matrix = selectors.price_matrix([p.pk for p in page])
    columns = selectors.used_columns() or [1]
    rows = [(p, [matrix.get(p.pk, {}).get(c) for c in columns]) for p in page]
    return render(
        request,
        "orders/products.html",
        {
            "page": page,
            "rows": rows,
            "columns": columns,
            "search": search,
            "show_cost": policy.can(user, "orders.view_cost_prices"),
            "can_manage": policy.can(user, "orders.manage_products"),
            "nav": "orders",
        },
    )


@login_required
def product_edit(request: HttpRequest, product_id: int | None = None) -> HttpResponse:
    user = _user(request, "orders.manage_products")
    product = get_object_or_404(Product, pk=product_id) if product_id else None
    initial: dict[str, Any] = {}
    if product is not None:
        initial = {f: getattr(product, f) for f in ("code", "name", "unit", "cost_price", "active")}
        initial |= {f"price_{c}": p for c, p in product.prices.values_list("column", "price")}
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.product_update(
                actor=user,
                product=product,
                code=data["code"],
                name=data["name"],
                unit=data["unit"],
                cost_price=data["cost_price"],
                active=data["active"],
                prices=form.prices(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The product is saved."))
            return redirect("orders:products")
    return render(request, "orders/product_form.html", {"form": form, "product": product, "nav": "orders"})


@login_required
def price_import(request: HttpRequest) -> HttpResponse:
    user = _user(request, "orders.manage_products")
    form = PriceImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = services.price_list_import(fileobj=upload, file_name=upload.name, actor=user)
        if result.ok:
            messages.success(
                request,
                _("Price list imported: %(new)s new products, %(changed)s updated, %(prices)s prices.")
                % {
                    "new": result.products_created,
                    "changed": result.products_updated,
                    "prices": result.prices,
                },
            )
            return redirect("orders:products")
    return render(request, "orders/price_import.html", {"form": form, "result": result, "nav": "orders"})


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@login_required
def analysis(request: HttpRequest, fmt: str = "") -> HttpResponse:
    user = _user(request, "orders.view_analysis")
    by = request.GET.get("by", "reason")
    if by not in selectors.BY:
        by = "reason"
    date_from, date_to = _day(request.GET.get("from")), _day(request.GET.get("to"))
    rows = selectors.returns_analysis(user, by=by, date_from=date_from, date_to=date_to)
    if fmt in ("xlsx", "csv"):
        headers = [_("Group"), _("Return lines"), _("Returned, RUB"), _("Refusals"), _("Refused, RUB")]
        data = [(r.label, r.returns, r.returned_amount, r.refusals, r.refused_amount) for r in rows]
        return audited_export(
            request,
            model=Order,
            what="returns and refusals",
            headers=headers,
            rows=data,
            filename=f"returns-{by}",
            sheet="kam",
            fmt=fmt,
            filters={"by": by},
        )
    groups = [
        ("reason", _("Reason")),
        ("product", _("Product")),
        ("client", _("Client")),
        ("kam", _("KAM")),
    ]
    return render(
        request,
        "orders/analysis.html",
        {
            "rows": rows,
            "by": by,
            "groups": groups,
            "date_from": date_from,
            "date_to": date_to,
            "nav": "orders",
        },
    )
