"""Receivables as JSON (mounted at /api/receivables): the pages' access, the same selectors and services.

A role without receivables gets 403; a client the user may not see is a 404; recording payments and
setting credit limits is for finance and the director.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Path

from kam.access import policy
from kam.access.models import User
from kam.core.api import READ_ERRORS, WRITE_ERRORS, KamPagination, Message, StrictIn, Text

from . import selectors, services
from .models import Invoice

router = Router(tags=["receivables"])
Id = Annotated[int, Path(ge=1, le=2**53)]
VIEW = "receivables.view_receivables"
Money = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=2)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _require(user: User, perm: str) -> None:
    if not policy.can(user, perm):
        raise PermissionDenied


def _client(request: HttpRequest, client_id: int, perm: str = VIEW) -> Any:
    user = _user(request)
    _require(user, VIEW)
    client = policy.get_client_for_user(user, client_id, VIEW)
    if perm != VIEW and not policy.can(user, perm, client):
        raise PermissionDenied
    return client


class AgingRowOut(Schema):
    key: int | None
    label: str
    current: Decimal
    d1_30: Decimal
    d31_60: Decimal
    d61_90: Decimal
    d90_plus: Decimal
    overdue: Decimal
    total: Decimal
    invoices: int
    oldest_due_on: date | None


class AgingQuery(Schema):
    on: date | None = None
    group_by: Literal["client", "kam", "department"] = "client"


class InvoiceOut(Schema):
    id: int
    number: str
    client_id: int
    issued_on: date
    due_on: date
    amount: Decimal
    paid: Decimal
    credited: Decimal
    open_amount: Decimal
    currency: str
    order_id: int | None


class InvoiceQuery(Schema):
    state: Literal["", "open", "overdue", "paid"] = ""
    client_id: int | None = Field(None, ge=1, le=2**53)
    q: str = Field("", max_length=100)


class FiguresOut(Schema):
    client_id: int
    open: Decimal
    overdue: Decimal
    advance: Decimal
    credit_limit: Decimal
    credit_score: int


class AllocationIn(StrictIn):
    invoice_id: int = Field(ge=1, le=2**53)
    amount: Money


class PaymentIn(StrictIn):
    received_on: date
    amount: Money
    reference: Text = Field("", max_length=120)
    allocate: list[AllocationIn] | None = None


class AllocationOut(Schema):
    invoice_id: int
    amount: Decimal


class PaymentOut(Schema):
    id: int
    client_id: int
    received_on: date
    amount: Decimal
    reference: str
    allocations: list[AllocationOut]
    unallocated: Decimal


class ActionIn(StrictIn):
    kind: Literal["reminder", "call", "letter", "escalation"]
    done_on: date
    note: Text = Field("", max_length=5000)
    invoice_id: int | None = Field(None, ge=1, le=2**53)
    promise_to_pay_on: date | None = None
    promised_amount: Money | None = None


class ActionOut(Schema):
    id: int
    kind: str
    done_on: date
    note: str
    invoice_id: int | None
    promise_to_pay_on: date | None
    promised_amount: Decimal | None
    by_id: int


class LimitIn(StrictIn):
    credit_limit: Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]


@router.get("/aging", response={200: list[AgingRowOut], **READ_ERRORS, 403: Message}, summary="Aging buckets")
def aging(request: HttpRequest, query: Query[AgingQuery]) -> list[dict[str, Any]]:
    user = _user(request)
    _require(user, VIEW)
    rows = selectors.aging(user, on=query.on or timezone.localdate(), group_by=query.group_by)
    return [
        {
            **{k: getattr(r, k) for k in AgingRowOut.model_fields if k not in ("overdue", "total")},
            "overdue": r.overdue,
            "total": r.total,
        }
        for r in rows
    ]


@router.get("/invoices", response={200: list[InvoiceOut], **READ_ERRORS, 403: Message}, summary="Invoices")
@paginate(KamPagination)
def invoices(request: HttpRequest, query: Query[InvoiceQuery]) -> QuerySet[Invoice]:
    user = _user(request)
    _require(user, VIEW)
    return selectors.invoice_list(
        user, client_id=query.client_id, state=query.state, search=query.q.strip(), on=timezone.localdate()
    )


@router.get(
    "/invoices/{invoice_id}", response={200: InvoiceOut, **READ_ERRORS, 403: Message}, summary="One invoice"
)
def invoice(request: HttpRequest, invoice_id: Id) -> Any:
    user = _user(request)
    _require(user, VIEW)
    found = selectors.invoice_list(user).filter(pk=invoice_id).first()
    if found is None:
        raise Http404
    return found


@router.get(
    "/clients/{client_id}",
    response={200: FiguresOut, **READ_ERRORS, 403: Message},
    summary="A client's figures",
)
def figures(request: HttpRequest, client_id: Id) -> dict[str, Any]:
    client = _client(request, client_id)
    today = timezone.localdate()
    return {
        "client_id": client.pk,
        "open": selectors.open_receivables(client.pk),
        "overdue": selectors.overdue_debt(client.pk, on=today),
        "advance": selectors.client_advance(client.pk),
        "credit_limit": client.credit_limit,
        "credit_score": selectors.credit_score(client.pk, on=today),
    }


def _payment_out(payment: Any) -> dict[str, Any]:
    allocations = list(payment.allocations.values("invoice_id", "amount"))
    return {
        "id": payment.pk,
        "client_id": payment.client_id,
        "received_on": payment.received_on,
        "amount": payment.amount,
        "reference": payment.reference,
        "allocations": allocations,
        "unallocated": payment.amount - sum((a["amount"] for a in allocations), Decimal(0)),
    }


@router.post(
    "/clients/{client_id}/payments", response={201: PaymentOut, **WRITE_ERRORS}, summary="Record a payment"
)
def payment_record(request: HttpRequest, client_id: Id, payload: PaymentIn) -> Status[dict[str, Any]]:
    client = _client(request, client_id, "receivables.record_payment")
    allocate = None
    if payload.allocate is not None:
        ids = [a.invoice_id for a in payload.allocate]
        found = {i.pk: i for i in Invoice.objects.filter(pk__in=ids, client=client)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValidationError({"allocate": [f"No invoice {i} of this client." for i in missing]})
        allocate = [(found[a.invoice_id], a.amount) for a in payload.allocate]
    payment = services.payment_record(
        client=client,
        received_on=payload.received_on,
        amount=payload.amount,
        reference=payload.reference,
        actor=_user(request),
        allocate=allocate,
    )
    return Status(201, _payment_out(payment))


@router.post(
    "/clients/{client_id}/actions",
    response={201: ActionOut, **WRITE_ERRORS},
    summary="Record a collection action",
)
def action_add(request: HttpRequest, client_id: Id, payload: ActionIn) -> Status[Any]:
    client = _client(request, client_id, "receivables.add_collection_action")
    invoice = None
    if payload.invoice_id is not None:
        invoice = Invoice.objects.filter(pk=payload.invoice_id, client=client).first()
        if invoice is None:
            raise ValidationError({"invoice_id": ["No such invoice of this client."]})
    action = services.collection_action_add(
        client=client,
        kind=payload.kind,
        done_on=payload.done_on,
        note=payload.note,
        invoice=invoice,
        promise_to_pay_on=payload.promise_to_pay_on,
        promised_amount=payload.promised_amount,
        actor=_user(request),
    )
    return Status(201, action)


@router.put(
    "/clients/{client_id}/credit-limit",
    response={200: FiguresOut, **WRITE_ERRORS},
    summary="Set the credit limit",
)
def credit_limit(request: HttpRequest, client_id: Id, payload: LimitIn) -> dict[str, Any]:
    client = _client(request, client_id, "receivables.set_credit_limit")
    services.credit_limit_set(client=client, limit=payload.credit_limit, actor=_user(request))
    return figures(request, client_id)
