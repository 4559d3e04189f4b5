"""Commercial proposals as JSON (mounted at /api/proposals): the pages' access rules and the same services."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Path

from kam.access import policy
from kam.access.models import User
from kam.core.api import READ_ERRORS, WRITE_ERRORS, KamPagination, StrictIn, Text
from kam.orders.models import Product

from . import selectors, services
from .models import Proposal, ProposalStatus, ProposalTemplate

router = Router(tags=["proposals"])
Id = Annotated[int, Path(ge=1, le=2**53)]
VIEW, CHANGE = "proposals.view_proposals", "proposals.change_proposal"


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _visible(request: HttpRequest, proposal_id: int) -> Proposal:
    user = _user(request)
    if not policy.can(user, VIEW):
        raise PermissionDenied
    return selectors.proposal_for_user(user, proposal_id)


def _changeable(request: HttpRequest, proposal_id: int) -> Proposal:
    proposal = _visible(request, proposal_id)
    if not policy.can(_user(request), CHANGE, proposal):
        raise PermissionDenied
    return proposal


class ProposalLineOut(Schema):
    position: int
    product_code: str
    product_name: str
    unit: str
    quantity: Decimal
    list_price: Decimal
    client_price: Decimal
    discount: Decimal
    price: Decimal
    amount: Decimal


class ProposalVersionOut(Schema):
    number: int
    column: int
    valid_until: date
    payment_terms: str
    delivery_terms: str
    intro: str
    terms: str
    total: Decimal
    sent_at: Any = None
    lines: list[ProposalLineOut] = []


class _ProposalFields(Schema):
    id: int
    number: str
    version: int
    client_id: int
    client: str
    kam: str
    status: str
    total: Decimal
    valid_until: date
    order_id: int | None = None
    opportunity_id: int | None = None


class ProposalSummaryOut(_ProposalFields):
    @staticmethod
    def resolve_client(obj: Proposal) -> str:
        return str(obj.client)

    @staticmethod
    def resolve_kam(obj: Proposal) -> str:
        return str(obj.kam)


class ProposalOut(_ProposalFields):
    reject_reason: str
    versions: list[int]
    current: ProposalVersionOut


def _out(proposal: Proposal) -> dict[str, Any]:
    proposal = Proposal.objects.select_related("client", "kam").get(pk=proposal.pk)
    version = selectors.version_of(proposal)
    return {
        "id": proposal.pk,
        "number": proposal.number,
        "version": proposal.version,
        "client_id": proposal.client_id,
        "client": str(proposal.client),
        "kam": str(proposal.kam),
        "status": proposal.status,
        "total": proposal.total,
        "valid_until": proposal.valid_until,
        "order_id": proposal.order_id,
        "opportunity_id": proposal.opportunity_id,
        "reject_reason": proposal.reject_reason,
        "versions": list(proposal.versions.order_by("number").values_list("number", flat=True)),
        "current": {
            "number": version.number,
            "column": version.column,
            "valid_until": version.valid_until,
            "payment_terms": version.payment_terms,
            "delivery_terms": version.delivery_terms,
            "intro": version.intro,
            "terms": version.terms,
            "total": version.total,
            "sent_at": version.sent_at,
            "lines": [
                {
                    "position": line.position,
                    "product_code": line.product.code,
                    "product_name": line.product.name,
                    "unit": line.product.unit,
                    "quantity": line.quantity,
                    "list_price": line.list_price,
                    "client_price": line.client_price,
                    "discount": line.discount,
                    "price": line.price,
                    "amount": line.amount,
                }
                for line in selectors.version_lines(version)
            ],
        },
    }


class ProposalFilter(Schema):
    status: Literal["", "open", *ProposalStatus.values] = ""  # type: ignore[valid-type]
    client: int | None = Field(None, ge=1, le=2**53)
    q: Text = Field("", max_length=100)


@router.get("", response={200: list[ProposalSummaryOut], **READ_ERRORS}, summary="Proposals the user may see")
@paginate(KamPagination)
def proposal_list(request: HttpRequest, filters: Query[ProposalFilter]) -> QuerySet[Proposal]:
    user = _user(request)
    if not policy.can(user, VIEW):
        raise PermissionDenied
    return selectors.proposals_for_user(user, status=filters.status, client_id=filters.client, q=filters.q)


@router.get(
    "/{proposal_id}", response={200: ProposalOut, **READ_ERRORS}, summary="One proposal, newest version"
)
def proposal_get(request: HttpRequest, proposal_id: Id) -> dict[str, Any]:
    return _out(_visible(request, proposal_id))


class ProposalIn(StrictIn):
    client_id: int = Field(ge=1, le=2**53)
    template_id: int | None = Field(None, ge=1, le=2**53)
    column: int | None = Field(None, ge=1, le=10)
    valid_until: date | None = None


@router.post("", response={201: ProposalOut, **WRITE_ERRORS}, summary="Start a draft proposal")
def proposal_create(request: HttpRequest, payload: ProposalIn) -> Status:
    user = _user(request)
    if not policy.can(user, CHANGE):
        raise PermissionDenied
    client = policy.get_client_for_user(user, payload.client_id, "clients.view_requisites")
    template = None
    if payload.template_id is not None:
        template = ProposalTemplate.objects.filter(pk=payload.template_id).first()
        if template is None:
            raise ValidationError({"template_id": ["No such template."]})
    proposal = services.proposal_create(
        client=client, actor=user, template=template, column=payload.column, valid_until=payload.valid_until
    )
    return Status(201, _out(proposal))


class ProposalLineIn(StrictIn):
    product_code: Text = Field(min_length=1, max_length=64)
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=3)
    discount: Decimal = Field(Decimal(0), ge=0, lt=100, max_digits=4, decimal_places=2)


@router.post(
    "/{proposal_id}/lines",
    response={201: ProposalOut, **WRITE_ERRORS},
    summary="Add a line (to a sent proposal: in a new version)",
)
def proposal_line_add(request: HttpRequest, proposal_id: Id, payload: ProposalLineIn) -> Status:
    user = _user(request)
    proposal = _changeable(request, proposal_id)
    product = Product.objects.filter(code=payload.product_code).first()
    if product is None:
        raise ValidationError({"product_code": ["No product with this code."]})
    services.proposal_line_add(
        proposal_id=proposal.pk,
        actor=user,
        product=product,
        quantity=payload.quantity,
        discount=payload.discount,
    )
    return Status(201, _out(proposal))


@router.post("/{proposal_id}/send", response={200: ProposalOut, **WRITE_ERRORS}, summary="Mark as sent")
def proposal_send(request: HttpRequest, proposal_id: Id) -> dict[str, Any]:
    proposal = _changeable(request, proposal_id)
    services.proposal_send(proposal_id=proposal.pk, actor=_user(request))
    return _out(proposal)


@router.post(
    "/{proposal_id}/accept",
    response={200: ProposalOut, **WRITE_ERRORS},
    summary="The client accepted: a draft order is made from it",
)
def proposal_accept(request: HttpRequest, proposal_id: Id) -> dict[str, Any]:
    proposal = _changeable(request, proposal_id)
    services.proposal_accept(proposal_id=proposal.pk, actor=_user(request))
    return _out(proposal)


class RejectIn(StrictIn):
    reason: Text = Field(min_length=1, max_length=2000)


@router.post(
    "/{proposal_id}/reject", response={200: ProposalOut, **WRITE_ERRORS}, summary="The client rejected, why"
)
def proposal_reject(request: HttpRequest, proposal_id: Id, payload: RejectIn) -> dict[str, Any]:
    proposal = _changeable(request, proposal_id)
    services.proposal_reject(proposal_id=proposal.pk, actor=_user(request), reason=payload.reason)
    return _out(proposal)
