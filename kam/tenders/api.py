"""Tenders as JSON (mounted at /api/tenders): the pages' access rules and the same services.

A deadline sent without an offset is read in the tender's time zone (Europe/Moscow unless given).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Path
from pydantic import AfterValidator

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Competitor
from kam.core.api import READ_ERRORS, WRITE_ERRORS, DbId, KamPagination, StrictIn, Text, optional
from kam.orders.models import Product
from kam.pipeline.models import Opportunity

from . import selectors, services
from .models import Lot, LotResult, Platform, Tender, TenderStatus, validate_zone

router = Router(tags=["tenders"])
Id = Annotated[int, Path(ge=1, le=2**53)]
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2, allow_inf_nan=False)]
VIEW = "tenders.view_tenders"
CHANGE = "tenders.change_tender"


def _sane_year(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        raise ValueError("the year must be between 2000 and 2100")
    return value


def _sane_day(value: date) -> date:
    if not 2000 <= value.year <= 2100:
        raise ValueError("the year must be between 2000 and 2100")
    return value


Moment = Annotated[datetime, AfterValidator(_sane_year)]
Day = Annotated[date, AfterValidator(_sane_day)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _tender(request: HttpRequest, tender_id: int, perm: str = VIEW) -> Tender:
    user = _user(request)
    if not policy.can(user, VIEW):
        raise PermissionDenied
    tender = selectors.tender_for(user, tender_id)
    if perm != VIEW and not policy.can(user, perm, tender.client):
        raise PermissionDenied
    return tender


class ItemOut(Schema):
    id: int
    position: int
    name: str
    product_code: str | None = None
    quantity: Decimal
    unit: str


class LotOut(Schema):
    id: int
    number: int
    subject: str
    initial_price: Decimal
    bid_amount: Decimal | None = None
    result: str
    winner_competitor_id: int | None = None
    winner: str
    winning_price: Decimal | None = None
    reasons: str
    items: list[ItemOut] = []


class TenderBase(Schema):
    id: int
    client_id: int
    client: str
    platform: str
    number: str
    title: str
    published_on: date | None = None
    deadline: datetime
    time_zone: str
    status: str
    kam_id: int
    kam: str
    opportunity_id: int | None = None


class TenderSummaryOut(TenderBase):
    @staticmethod
    def resolve_client(obj: Tender) -> str:
        return obj.client.short_name

    @staticmethod
    def resolve_kam(obj: Tender) -> str:
        return str(obj.kam)


class TenderOut(TenderBase):
    url: str
    notes: str
    result_note: str
    lots: list[LotOut] = []


def _tender_out(tender: Tender) -> dict[str, Any]:
    return {
        "id": tender.pk,
        "client_id": tender.client_id,
        "client": tender.client.short_name,
        "platform": tender.platform,
        "number": tender.number,
        "title": tender.title,
        "published_on": tender.published_on,
        "deadline": tender.deadline,
        "time_zone": tender.time_zone,
        "status": tender.status,
        "kam_id": tender.kam_id,
        "kam": str(tender.kam),
        "opportunity_id": tender.opportunity_id,
        "url": tender.url,
        "notes": tender.notes,
        "result_note": tender.result_note,
        "lots": [
            {
                "id": lot.pk,
                "number": lot.number,
                "subject": lot.subject,
                "initial_price": lot.initial_price,
                "bid_amount": lot.bid_amount,
                "result": lot.result,
                "winner_competitor_id": lot.winner_id,
                "winner": lot.winner_display,
                "winning_price": lot.winning_price,
                "reasons": lot.reasons,
                "items": [
                    {
                        "id": item.pk,
                        "position": item.position,
                        "name": item.name,
                        "product_code": item.product.code if item.product else None,
                        "quantity": item.quantity,
                        "unit": item.unit,
                    }
                    for item in lot.items.all()
                ],
            }
            for lot in selectors.lots_of(tender)
        ],
    }


def _fresh(request: HttpRequest, tender: Tender) -> dict[str, Any]:
    return _tender_out(selectors.tender_for(_user(request), tender.pk))


class TenderFilterIn(Schema):
    status: Literal["", "open", "closed", *TenderStatus.values] = ""  # type: ignore[valid-type]
    client: int | None = Field(None, ge=1, le=2**53)
    kam: int | None = Field(None, ge=1, le=2**53)
    q: Text = Field("", max_length=100)


@router.get("", response={200: list[TenderSummaryOut], **READ_ERRORS}, summary="Tenders the user may see")
@paginate(KamPagination)
def tender_list(request: HttpRequest, filters: Query[TenderFilterIn]) -> QuerySet[Tender]:
    user = _user(request)
    if not policy.can(user, VIEW):
        raise PermissionDenied
    flt = selectors.TenderFilter(
        q=filters.q.strip(), status=filters.status, client_id=filters.client, kam_id=filters.kam
    )
    return selectors.tender_list(user, flt)


@router.get("/{tender_id}", response={200: TenderOut, **READ_ERRORS}, summary="One tender with lots")
def tender_get(request: HttpRequest, tender_id: Id) -> dict[str, Any]:
    return _tender_out(_tender(request, tender_id))


def _zone(name: str) -> ZoneInfo:
    validate_zone(name)  # a ValidationError (422) names the field
    return ZoneInfo(name)


def _placed(moment: datetime, zone: str) -> datetime:
    """A naive deadline is the tender zone's wall-clock time."""
    try:
        tz = _zone(zone)
    except ValidationError:
        raise ValidationError({"time_zone": ["Unknown time zone."]}) from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _relations(user: User, client: Any, fields: dict[str, Any]) -> dict[str, Any]:
    if "kam_id" in fields:
        kam_id = fields.pop("kam_id")
        kam = User.objects.filter(pk=kam_id).first() if kam_id else None
        if kam_id and kam is None:
            raise ValidationError({"kam_id": ["No such user."]})
        fields["kam"] = kam or client.owner
    if "opportunity_id" in fields:
        opportunity_id = fields.pop("opportunity_id")
        opportunity = None
        if opportunity_id:
            opportunity = Opportunity.objects.filter(pk=opportunity_id, client=client).first()
            if opportunity is None:
                raise ValidationError({"opportunity_id": ["No such opportunity of this customer."]})
        fields["opportunity"] = opportunity
    return fields


class TenderIn(StrictIn):
    client_id: DbId
    platform: Platform = Platform.FZ44
    number: Text = Field("", max_length=64)
    title: Text = Field(min_length=1, max_length=300)
    published_on: Day | None = None
    deadline: Moment
    time_zone: Text = Field("Europe/Moscow", min_length=1, max_length=64)
    kam_id: DbId | None = None
    opportunity_id: DbId | None = None
    url: Text = Field("", max_length=500)
    notes: Text = Field("", max_length=5000)


@router.post("", response={201: TenderOut, **WRITE_ERRORS}, summary="Record a new tender (preparing)")
def tender_create(request: HttpRequest, payload: TenderIn) -> Status:
    user = _user(request)
    if not policy.can(user, CHANGE):
        raise PermissionDenied
    client = policy.get_client_for_user(user, payload.client_id, CHANGE)
    fields = payload.model_dump()
    fields.pop("client_id")
    fields["deadline"] = _placed(payload.deadline, payload.time_zone)
    fields = _relations(user, client, fields)
    tender = services.tender_create(user=user, client=client, data=fields)
    return Status(201, _fresh(request, tender))


class TenderPatch(StrictIn):
    platform: Platform = optional()
    number: Text = optional(max_length=64)
    title: Text = optional(min_length=1, max_length=300)
    published_on: Day | None = optional()
    deadline: Moment = optional()
    time_zone: Text = optional(min_length=1, max_length=64)
    kam_id: DbId = optional()
    opportunity_id: DbId | None = optional()
    url: Text = optional(max_length=500)
    notes: Text = optional(max_length=5000)


@router.patch("/{tender_id}", response={200: TenderOut, **WRITE_ERRORS}, summary="Change a tender")
def tender_patch(request: HttpRequest, tender_id: Id, payload: TenderPatch) -> dict[str, Any]:
    user = _user(request)
    tender = _tender(request, tender_id, CHANGE)
    fields = payload.model_dump(exclude_unset=True)
    for name in ("platform", "number", "title", "deadline", "time_zone", "kam_id", "url", "notes"):
        if name in fields and fields[name] is None:
            raise ValidationError({name: ["This field may not be null."]})
    if "deadline" in fields:
        fields["deadline"] = _placed(fields["deadline"], fields.get("time_zone") or tender.time_zone)
    fields = _relations(user, tender.client, fields)
    services.tender_update(user=user, tender=tender, data=fields)
    return _fresh(request, tender)


class StatusIn(StrictIn):
    status: TenderStatus
    note: Text | None = Field(None, max_length=5000)


@router.post(
    "/{tender_id}/status",
    response={200: TenderOut, **WRITE_ERRORS},
    summary="Move a tender: preparing → submitted → won / lost; cancelled",
)
def tender_status(request: HttpRequest, tender_id: Id, payload: StatusIn) -> dict[str, Any]:
    user = _user(request)
    tender = _tender(request, tender_id, CHANGE)
    services.tender_set_status(user=user, tender=tender, status=payload.status, note=payload.note)
    return _fresh(request, tender)


class ItemIn(StrictIn):
    name: Text = Field("", max_length=300)
    product_code: Text | None = Field(None, max_length=64)
    quantity: Decimal = Field(gt=0, max_digits=15, decimal_places=3, allow_inf_nan=False)
    unit: Text = Field("pcs", min_length=1, max_length=20)


class LotIn(StrictIn):
    number: int | None = Field(None, ge=1, le=32000)
    subject: Text = Field(min_length=1, max_length=300)
    initial_price: Money
    bid_amount: Money | None = None
    items: list[ItemIn] = Field([], max_length=200)


@router.post(
    "/{tender_id}/lots", response={201: TenderOut, **WRITE_ERRORS}, summary="Add a lot with its items"
)
def lot_add(request: HttpRequest, tender_id: Id, payload: LotIn) -> Status:
    user = _user(request)
    tender = _tender(request, tender_id, CHANGE)
    data = payload.model_dump(exclude={"items"})
    with transaction.atomic():
        lot = services.lot_add(user=user, tender=tender, data=data)
        for item in payload.items:
            product = None
            if item.product_code:
                product = Product.objects.filter(code=item.product_code).first()
                if product is None:
                    raise ValidationError({"product_code": ["No product with this code."]})
            if product is None and not item.name.strip():
                raise ValidationError({"name": ["Name the item or give our product code."]})
            services.item_add(
                user=user,
                lot=lot,
                data={"name": item.name, "product": product, "quantity": item.quantity, "unit": item.unit},
            )
    return Status(201, _fresh(request, tender))


class ResultIn(StrictIn):
    result: LotResult
    winner_competitor_id: DbId | None = None
    winner_name: Text = Field("", max_length=200)
    winning_price: Money | None = None
    reasons: Text = Field("", max_length=5000)


@router.post(
    "/{tender_id}/lots/{lot_id}/result",
    response={200: TenderOut, **WRITE_ERRORS},
    summary="Record a lot's result (a lost lot needs its winner and reasons)",
)
def lot_result(request: HttpRequest, tender_id: Id, lot_id: Id, payload: ResultIn) -> dict[str, Any]:
    user = _user(request)
    tender = _tender(request, tender_id, CHANGE)
    lot = Lot.objects.select_related("tender", "tender__client").filter(pk=lot_id, tender=tender).first()
    if lot is None:
        from django.http import Http404

        raise Http404("No such lot")
    winner = None
    if payload.winner_competitor_id:
        winner = Competitor.objects.filter(pk=payload.winner_competitor_id).first()
        if winner is None:
            raise ValidationError({"winner_competitor_id": ["No such competitor."]})
    services.lot_set_result(
        user=user,
        lot=lot,
        data={
            "result": payload.result,
            "winner": winner,
            "winner_name": payload.winner_name,
            "winning_price": payload.winning_price,
            "reasons": payload.reasons,
        },
    )
    return _fresh(request, tender)
