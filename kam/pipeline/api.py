"""The opportunity pipeline as JSON (mounted at /api/pipeline): the pages' access rules, the same services.

Whoever sees a client's dossier sees its opportunities; whoever may change the client creates, edits and
moves them (each move writes a row of the stage history). The weighted forecast is cut to what the user sees.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Path

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Competitor
from kam.core.api import READ_ERRORS, WRITE_ERRORS, DbId, KamPagination, StrictIn, Text, optional

from . import selectors, services
from .models import Opportunity

router = Router(tags=["pipeline"])
Id = Annotated[int, Path(ge=1, le=2**53)]
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2, allow_inf_nan=False)]
Day = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2999, 12, 31))]
StageName = Literal[
    "research", "contact", "proposal", "meeting", "agreement", "contract", "delivery", "feedback"
]
KindName = Literal["new_product", "new_site", "tender", "renewal"]


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not policy.can(user, "pipeline.view_pipeline"):
        raise PermissionDenied
    return user


class _OpportunityFields(Schema):
    id: int
    client_id: int
    client: str
    owner_id: int
    owner: str
    title: str
    kind: str
    stage: str
    status: str
    amount: Decimal
    probability: int
    weighted: Decimal
    expected_on: date
    next_step: str
    next_step_on: date | None = None


class OpportunitySummaryOut(_OpportunityFields):
    @staticmethod
    def resolve_client(obj: Opportunity) -> str:
        return str(obj.client)

    @staticmethod
    def resolve_owner(obj: Opportunity) -> str:
        return str(obj.owner)


class OpportunityStageChangeOut(Schema):
    from_stage: str
    to_stage: str
    status: str
    changed_by: str
    changed_at: datetime


class OpportunityOut(_OpportunityFields):
    lost_reason: str
    competitor_ids: list[int]
    history: list[OpportunityStageChangeOut]
    created_at: datetime
    updated_at: datetime


def _detail(opportunity: Opportunity) -> dict[str, Any]:
    return {
        "id": opportunity.pk,
        "client_id": opportunity.client_id,
        "client": str(opportunity.client),
        "owner_id": opportunity.owner_id,
        "owner": str(opportunity.owner),
        "title": opportunity.title,
        "kind": opportunity.kind,
        "stage": opportunity.stage,
        "status": opportunity.status,
        "amount": opportunity.amount,
        "probability": opportunity.probability,
        "weighted": opportunity.weighted,
        "expected_on": opportunity.expected_on,
        "next_step": opportunity.next_step,
        "next_step_on": opportunity.next_step_on,
        "lost_reason": opportunity.lost_reason,
        "competitor_ids": sorted(opportunity.competitors.values_list("pk", flat=True)),
        "history": [
            {
                "from_stage": h.from_stage,
                "to_stage": h.to_stage,
                "status": h.status,
                "changed_by": str(h.changed_by),
                "changed_at": h.changed_at,
            }
            for h in selectors.history(opportunity)
        ],
        "created_at": opportunity.created_at,
        "updated_at": opportunity.updated_at,
    }


def _fresh(user: User, pk: int) -> dict[str, Any]:
    return _detail(selectors.get_opportunity_for_user(user, pk))


class OpportunityFilter(Schema):
    status: Literal["", "open", "won", "lost"] = ""
    stage: Literal["", StageName] = ""
    client: int | None = Field(None, ge=1, le=2**53)
    kam: int | None = Field(None, ge=1, le=2**53)
    q: Text = Field("", max_length=100)


@router.get(
    "/opportunities",
    response={200: list[OpportunitySummaryOut], **READ_ERRORS},
    summary="Opportunities of the clients the user may see",
)
@paginate(KamPagination)
def opportunity_list(request: HttpRequest, filters: Query[OpportunityFilter]) -> QuerySet[Opportunity]:
    user = _user(request)
    qs = selectors.visible_opportunities(user).select_related("client", "owner")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.client:
        qs = qs.filter(client_id=filters.client)
    if filters.kam:
        qs = qs.filter(owner_id=filters.kam)
    if filters.q.strip():
        qs = qs.filter(title__icontains=filters.q.strip())
    return qs.order_by("expected_on", "pk")


@router.get(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityOut, **READ_ERRORS},
    summary="One opportunity with its stage history",
)
def opportunity_get(request: HttpRequest, opportunity_id: Id) -> dict[str, Any]:
    return _fresh(_user(request), opportunity_id)


def _competitors(ids: list[int] | None) -> list[Competitor] | None:
    if ids is None:
        return None
    found = list(Competitor.objects.filter(pk__in=set(ids)))
    if len(found) != len(set(ids)):
        raise ValidationError({"competitor_ids": ["No competitor with one of these ids."]})
    return found


def _owner(user: User, owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None or owner.role not in (Role.KAM, Role.HEAD, Role.DIRECTOR):
        raise ValidationError({"owner_id": ["The owner must be an active KAM, head or director."]})
    return owner


class OpportunityIn(StrictIn):
    client_id: DbId
    title: Text = Field(min_length=1, max_length=200)
    kind: KindName = "new_product"
    stage: StageName = "research"
    amount: Money
    probability: int | None = Field(None, ge=0, le=100)
    expected_on: Day
    next_step: Text = Field("", max_length=300)
    next_step_on: Day | None = None
    owner_id: DbId | None = None
    competitor_ids: list[DbId] = Field(default_factory=list, max_length=50)


@router.post(
    "/opportunities",
    response={201: OpportunityOut, **WRITE_ERRORS},
    summary="Create an opportunity (its first stage-history row is written)",
)
def opportunity_create(request: HttpRequest, payload: OpportunityIn) -> Status:
    user = _user(request)
    client = policy.get_client_for_user(user, payload.client_id, "pipeline.change_opportunity")
    opportunity = services.opportunity_create(
        actor=user,
        client=client,
        title=payload.title,
        kind=payload.kind,
        stage=payload.stage,
        amount=payload.amount,
        probability=payload.probability,
        expected_on=payload.expected_on,
        next_step=payload.next_step,
        next_step_on=payload.next_step_on,
        owner=_owner(user, payload.owner_id),
        competitors=_competitors(payload.competitor_ids),
    )
    return Status(201, _fresh(user, opportunity.pk))


class OpportunityPatch(StrictIn):
    title: Text = optional(min_length=1, max_length=200)
    kind: KindName = optional()
    amount: Money = optional()
    probability: int = optional(ge=0, le=100)
    expected_on: Day = optional()
    next_step: Text = optional(max_length=300)
    next_step_on: Day | None = optional()
    owner_id: DbId = optional()
    competitor_ids: list[DbId] = optional(max_length=50)


@router.patch(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityOut, **WRITE_ERRORS},
    summary="Change an opportunity's fields (stage and status have their own operations)",
)
def opportunity_update(request: HttpRequest, opportunity_id: Id, payload: OpportunityPatch) -> dict[str, Any]:
    user = _user(request)
    opportunity = selectors.get_opportunity_for_user(user, opportunity_id, "pipeline.change_opportunity")
    fields = payload.model_dump(exclude_unset=True)
    competitors = _competitors(fields.pop("competitor_ids", None))
    if "owner_id" in fields:
        fields["owner"] = _owner(user, fields.pop("owner_id"))
    for name in ("title", "kind", "amount", "probability", "expected_on"):
        if name in fields and fields[name] is None:
            raise ValidationError({name: ["This field cannot be empty."]})
    services.opportunity_update(opportunity=opportunity, actor=user, competitors=competitors, **fields)
    return _fresh(user, opportunity.pk)


class OpportunityMoveIn(StrictIn):
    stage: StageName


@router.post(
    "/opportunities/{opportunity_id}/move",
    response={200: OpportunityOut, **WRITE_ERRORS},
    summary="Move an open opportunity to another stage (writes the stage history)",
)
def opportunity_move(request: HttpRequest, opportunity_id: Id, payload: OpportunityMoveIn) -> dict[str, Any]:
    user = _user(request)
    opportunity = selectors.get_opportunity_for_user(user, opportunity_id, "pipeline.change_opportunity")
    services.opportunity_move(opportunity=opportunity, to_stage=payload.stage, actor=user)
    return _fresh(user, opportunity.pk)


class OpportunityCloseIn(StrictIn):
    status: Literal["open", "won", "lost"]
    lost_reason: Text = Field("", max_length=2000)


@router.post(
    "/opportunities/{opportunity_id}/close",
    response={200: OpportunityOut, **WRITE_ERRORS},
    summary="Mark an opportunity won or lost (with its reason), or reopen it",
)
def opportunity_close(
    request: HttpRequest, opportunity_id: Id, payload: OpportunityCloseIn
) -> dict[str, Any]:
    user = _user(request)
    opportunity = selectors.get_opportunity_for_user(user, opportunity_id, "pipeline.change_opportunity")
    services.opportunity_close(
        opportunity=opportunity, status=payload.status, actor=user, lost_reason=payload.lost_reason
    )
    return _fresh(user, opportunity.pk)


class PipelineForecastRowOut(Schema):
    kam_id: int
    kam: str
    cells: list[Decimal]
    total: Decimal
    count: int


class PipelineForecastOut(Schema):
    year: int
    period: str
    periods: list[date]
    labels: list[str]
    rows: list[PipelineForecastRowOut]
    totals: list[Decimal]
    total: Decimal


class PipelineForecastQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    period: Literal["month", "quarter"] = "month"
    kam: int | None = Field(None, ge=1, le=2**53)


@router.get(
    "/forecast",
    response={200: PipelineForecastOut, **READ_ERRORS},
    summary="Weighted forecast (Σ amount × probability) of open opportunities by KAM and month or quarter",
)
def forecast(request: HttpRequest, params: Query[PipelineForecastQuery]) -> dict[str, Any]:
    user = _user(request)
    year = params.year or timezone.localdate().year
    data = selectors.weighted_forecast(user, year, params.period, params.kam)
    return {
        "year": data.year,
        "period": data.period,
        "periods": data.periods,
        "labels": data.labels,
        "rows": [
            {"kam_id": r.kam.pk, "kam": str(r.kam), "cells": r.cells, "total": r.total, "count": r.count}
            for r in data.rows
        ],
        "totals": data.totals,
        "total": data.total,
    }
